package dev.iris.runtime.media;

import dev.iris.api.model.RgbaImage;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * Decodes PNG, JPEG (baseline, progressive, CMYK), WebP, GIF (first frame), BMP and TIFF into 8-bit
 * RGBA with straight alpha, as PIL would hand the pixels to a processor: palettes expanded, grey
 * replicated without a colour-space conversion, no EXIF rotation. The pixel count is checked from
 * the header before anything is decoded (decompression bombs).
 */
final class ImageDecoder {

    private ImageDecoder() {
    }

    /** The image, or a cause in words. */
    static RgbaImage decode(byte[] data, long maxPixels) throws DecodeException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new DecodeException("cannot identify image data");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > maxPixels) {
                    throw new DecodeException("the image has " + pixels + " pixels, more than the limit of " + maxPixels);
                }
                return rgba(reader.read(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new DecodeException("cannot identify image data");
        }
    }

    /** A failure with its cause for the client. */
    static final class DecodeException extends Exception {
        DecodeException(String message) {
            super(message, null, false, false);
        }
    }

    private static RgbaImage rgba(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[w * h * 4];
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        boolean grey = image.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY;
        if (grey && bands <= 2) {
            // Java's grey is linear and getRGB would gamma-convert it; PIL copies the values.
            int bits = raster.getSampleModel().getSampleSize(0);
            int[] row = new int[w * bands];
            for (int y = 0; y < h; y++) {
                raster.getPixels(0, y, w, 1, row);
                for (int x = 0; x < w; x++) {
                    int v = row[x * bands] >> (bits - 8);
                    int o = (y * w + x) * 4;
                    out[o] = (byte) v;
                    out[o + 1] = (byte) v;
                    out[o + 2] = (byte) v;
                    out[o + 3] = bands == 2 ? (byte) (row[x * bands + 1] >> (bits - 8)) : (byte) 255;
                }
            }
            return new RgbaImage(w, h, out);
        }
        int[] argb = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, argb, 0, w);
            for (int x = 0; x < w; x++) {
                int p = argb[x];
                int o = (y * w + x) * 4;
                out[o] = (byte) (p >> 16);
                out[o + 1] = (byte) (p >> 8);
                out[o + 2] = (byte) p;
                out[o + 3] = (byte) (p >>> 24);
            }
        }
        return new RgbaImage(w, h, out);
    }
}
