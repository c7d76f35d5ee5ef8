package dev.iris.modelkit.image;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.RgbaImage;

/**
 * Hugging Face's {@code CLIPImageProcessor} (LLaVA-1.5, and each crop of LLaVA-NeXT): drop alpha,
 * resize so the short side is {@code size.shortest_edge} (the long side truncated), Pillow-exact
 * bicubic, center crop to {@code crop_size}, rescale and normalise, channel-first.
 */
public final class ClipImageTransform {

    private final int shortestEdge;
    private final int cropHeight;
    private final int cropWidth;
    private final PixelNormalizer normalizer;

    /** @param config a {@code preprocessor_config.json} of a CLIP image processor */
    public ClipImageTransform(ConfigView config) {
        ConfigView size = config.object("size").orElse(config);
        this.shortestEdge = Math.toIntExact(size.integer("shortest_edge").orElse(336L));
        ConfigView crop = config.object("crop_size").orElse(config);
        this.cropHeight = Math.toIntExact(crop.integer("height").orElse((long) shortestEdge));
        this.cropWidth = Math.toIntExact(crop.integer("width").orElse((long) shortestEdge));
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
        int shortSide = Math.min(width, height);
        int longSide = Math.max(width, height);
        int newShort = shortestEdge;
        int newLong = (int) ((double) shortestEdge * longSide / shortSide);
        int w = width <= height ? newShort : newLong;
        int h = width <= height ? newLong : newShort;
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
