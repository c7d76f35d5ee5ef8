package dev.iris.modelkit.image;

import dev.iris.api.config.ConfigView;

import java.util.List;

/**
 * Hugging Face's rescale-then-normalise of an 8-bit channel value, as its processors compute it:
 * {@code x = (float) (v · rescale_factor)} in double, then {@code (x − mean) / std} in float32
 * (mean and std rounded to float first). Every one of the 256 results per channel is computed
 * once, so the processors look values up instead of repeating the arithmetic per pixel.
 */
public final class PixelNormalizer {

    /** CLIP's statistics, the default of every family here. */
    private static final List<Double> CLIP_MEAN = List.of(0.48145466, 0.4578275, 0.40821073);
    private static final List<Double> CLIP_STD = List.of(0.26862954, 0.26130258, 0.27577711);

    private final float[][] table = new float[3][256];
    private final int[] meanColour = new int[3];

    /** From a preprocessor config's {@code image_mean}, {@code image_std} and {@code rescale_factor}. */
    public PixelNormalizer(ConfigView config) {
        List<Double> mean = config.numbers("image_mean").orElse(CLIP_MEAN);
        List<Double> std = config.numbers("image_std").orElse(CLIP_STD);
        double rescale = config.number("rescale_factor").orElse(1.0 / 255.0);
        for (int c = 0; c < 3; c++) {
            meanColour[c] = (int) (mean.get(c) * 255);
            float m = mean.get(c).floatValue();
            float s = std.get(c).floatValue();
            for (int v = 0; v < 256; v++) {
                float x = (float) (v * rescale);
                table[c][v] = (x - m) / s;
            }
        }
    }

    /**
     * The 8-bit colour of the mean, {@code int(mean · 255)} per channel: the background original
     * LLaVA pads images to a square with (122, 116, 104 for CLIP's statistics).
     */
    public int[] meanColour() {
        return meanColour.clone();
    }

    /** The normalised value of byte {@code value} (0..255) in channel {@code channel} (0 R, 1 G, 2 B). */
    public float value(int channel, int value) {
        return table[channel][value];
    }
}
