package dev.iris.model.qwen2vl;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.RgbaImage;
import dev.iris.modelkit.image.PilResize;
import dev.iris.modelkit.image.PixelNormalizer;
import dev.iris.modelkit.image.RgbConversion;


/**
 * Qwen2VLImageProcessor (transformers 4.46, the PIL path), value for value: RGB with alpha
 * dropped, {@code smart_resize} to multiples of 28 within the pixel bounds, Pillow's bicubic
 * resize, rescale and normalise as HF does it (double product cast to float, then float
 * arithmetic), the frame doubled to the temporal patch size, patches flattened in merge-window
 * order (spec qwen2-vl.md §4).
 */
public final class Qwen2VlImageProcessor implements ImageProcessor {

    private final int patch;
    private final int merge;
    private final int temporal;
    private final long minPixels;
    private final long maxPixels;
    private final PixelNormalizer normalizer;

    /** @param config the checkpoint's {@code preprocessor_config.json} */
    public Qwen2VlImageProcessor(ConfigView config) {
        this.patch = config.intOr("patch_size", 14);
        this.merge = config.intOr("merge_size", 2);
        this.temporal = config.intOr("temporal_patch_size", 2);
        ConfigView size = config.object("size").orElse(config);
        this.minPixels = config.integer("min_pixels").or(() -> size.integer("min_pixels")).orElse(56L * 56);
        this.maxPixels = config.integer("max_pixels").or(() -> size.integer("max_pixels")).orElse(28L * 28 * 1280);
        this.normalizer = new PixelNormalizer(config);
    }

    /**
     * A request may ask for fewer pixels than the server's {@code max_pixels} (fewer image tokens),
     * never for more: the server's value is the cap its memory and limits were sized by.
     */
    @Override
    public Qwen2VlImage process(RgbaImage image, ConfigView overrides) {
        long max = overrides.integer("max_pixels").orElse(maxPixels);
        long min = overrides.integer("min_pixels").orElse(Math.min(minPixels, max));
        if (max > maxPixels) {
            throw new IllegalArgumentException("max_pixels " + max + " is above this server's limit of " + maxPixels
                    + " pixels.");
        }
        if (min > max) {
            throw new IllegalArgumentException("min_pixels " + min + " is above max_pixels " + max + ".");
        }
        if (min < 1) {
            throw new IllegalArgumentException("min_pixels must be positive, got " + min + ".");
        }
        int[] hw = smartResize(image.height(), image.width(), patch * merge, min, max);
        int h = hw[0];
        int w = hw[1];
        byte[] rgb = RgbConversion.dropAlpha(image); // PIL convert("RGB")
        if (h != image.height() || w != image.width()) {
            rgb = PilResize.resize(rgb, image.width(), image.height(), 3, w, h, PilResize.Filter.BICUBIC);
        }
        return patches(rgb, h, w);
    }

    /** An image resized to at most {@code max_pixels} has at most that many pixels over one merged window's. */
    @Override
    public int maxPromptTokens() {
        long window = (long) patch * merge * patch * merge;
        return (int) Math.min(Integer.MAX_VALUE, maxPixels / window);
    }

    /**
     * HF's {@code smart_resize}: sides rounded (half to even) to multiples of {@code factor}, then
     * scaled down or up to fit {@code [min, max]} pixels. [DEV] A side below the factor is raised to
     * it, as SGLang's copy of {@code qwen_vl_utils.smart_resize} does, where transformers refuses
     * the image: an icon gets an answer (docs/deviations.md).
     *
     * @throws IllegalArgumentException for an aspect ratio above 200 (HF's error)
     */
    static int[] smartResize(int height, int width, int factor, long min, long max) {
        double ratio = (double) Math.max(height, width) / Math.min(height, width);
        if (ratio > 200) {
            throw new IllegalArgumentException("absolute aspect ratio must be smaller than 200, got " + ratio);
        }
        int hb = Math.max(factor, (int) Math.rint((double) height / factor) * factor);
        int wb = Math.max(factor, (int) Math.rint((double) width / factor) * factor);
        if ((long) hb * wb > max) {
            double beta = Math.sqrt((double) height * width / max);
            hb = (int) Math.floor(height / beta / factor) * factor;
            wb = (int) Math.floor(width / beta / factor) * factor;
        } else if ((long) hb * wb < min) {
            double beta = Math.sqrt(min / ((double) height * width));
            hb = (int) Math.ceil(height * beta / factor) * factor;
            wb = (int) Math.ceil(width * beta / factor) * factor;
        }
        return new int[]{hb, wb};
    }

    /**
     * Normalised patches: row {@code ((by/2)·GW + bx/2)·4 + (by%2)·2 + bx%2} for the patch at (by, bx),
     * columns channel, frame, patch row, patch column (spec §4.6); the one frame is repeated.
     */
    private Qwen2VlImage patches(byte[] rgb, int h, int w) {
        int gh = h / patch;
        int gw = w / patch;
        int windowsW = gw / merge;
        int cols = 3 * temporal * patch * patch;
        float[] values = new float[gh * gw * cols];
        for (int by = 0; by < gh; by++) {
            for (int bx = 0; bx < gw; bx++) {
                int row = ((by / merge) * windowsW + bx / merge) * merge * merge + (by % merge) * merge + bx % merge;
                for (int c = 0; c < 3; c++) {
                    for (int t = 0; t < temporal; t++) {
                        for (int i = 0; i < patch; i++) {
                            int col = ((c * temporal + t) * patch + i) * patch;
                            int px = ((by * patch + i) * w + bx * patch) * 3 + c;
                            for (int j = 0; j < patch; j++, px += 3) {
                                values[row * cols + col + j] = normalizer.value(c, rgb[px] & 0xff);
                            }
                        }
                    }
                }
            }
        }
        return new Qwen2VlImage(values, 1, gh, gw);
    }
}
