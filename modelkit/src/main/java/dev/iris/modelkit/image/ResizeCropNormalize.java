package dev.iris.modelkit.image;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.RgbaImage;

/**
 * The resize, center crop, rescale and normalise of Hugging Face's CLIP-style image processors,
 * channel-first, Pillow-exact bicubic: with {@code size.shortest_edge} (CLIPImageProcessor:
 * LLaVA-1.5, each crop of LLaVA-NeXT) the short side is resized to it (the long side truncated)
 * and the result center-cropped to {@code crop_size}; with {@code size.height}/{@code width}
 * (SigLIP-style: LLaVA-OneVision) the image is resized to exactly that.
 */
public final class ResizeCropNormalize {

    /** The short side's target, or 0 when the image is resized to {@link #cropHeight} × {@link #cropWidth}. */
    private final int shortestEdge;
    private final int cropHeight;
    private final int cropWidth;
    private final PixelNormalizer normalizer;

    /** @param config a {@code preprocessor_config.json} */
    public ResizeCropNormalize(ConfigView config) {
        ConfigView size = config.object("size").orElse(config);
        this.shortestEdge = Math.toIntExact(size.integer("shortest_edge").orElse(0L));
        ConfigView crop = shortestEdge > 0 ? config.object("crop_size").orElse(config) : size;
        long fallback = shortestEdge > 0 ? shortestEdge : 336;
        this.cropHeight = Math.toIntExact(crop.integer("height").orElse(fallback));
        this.cropWidth = Math.toIntExact(crop.integer("width").orElse(fallback));
        this.normalizer = new PixelNormalizer(config);
    }

    public int cropHeight() {
        return cropHeight;
    }

    public int cropWidth() {
        return cropWidth;
    }

    /** {@code [3, cropHeight, cropWidth]} normalised values. */
    public float[] apply(RgbaImage image) {
        return apply(RgbConversion.dropAlpha(image), image.width(), image.height());
    }

    /** The same from 8-bit RGB pixels ({@code height × width × 3}). */
    public float[] apply(byte[] rgb, int width, int height) {
        int w = cropWidth;
        int h = cropHeight;
        if (shortestEdge > 0) {
            int shortSide = Math.min(width, height);
            int longSide = Math.max(width, height);
            int newLong = (int) ((double) shortestEdge * longSide / shortSide);
            w = width <= height ? shortestEdge : newLong;
            h = width <= height ? newLong : shortestEdge;
        }
        if (w != width || h != height) {
            rgb = PilResize.resize(rgb, width, height, 3, w, h, PilResize.Filter.BICUBIC);
        }
        int top = (h - cropHeight) / 2;
        int left = (w - cropWidth) / 2;
        float[] out = new float[3 * cropHeight * cropWidth];
        int plane = cropHeight * cropWidth;
        for (int y = 0; y < cropHeight; y++) {
            int sy = top + y;
            for (int x = 0; x < cropWidth; x++) {
                int sx = left + x;
                boolean inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
                for (int c = 0; c < 3; c++) {
                    out[c * plane + y * cropWidth + x] = normalizer.value(c, inside ? rgb[(sy * w + sx) * 3 + c] & 0xff : 0);
                }
            }
        }
        return out;
    }
}
