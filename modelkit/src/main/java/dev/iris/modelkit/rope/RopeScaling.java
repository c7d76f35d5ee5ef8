package dev.iris.modelkit.rope;

import dev.iris.api.config.ConfigView;

/**
 * Llama-3's rotary frequency scaling ({@code rope_scaling.rope_type = "llama3"}): long
 * wavelengths are divided by {@code factor}, short ones kept, and the band between blended.
 *
 * @param factor                       divisor for low frequencies
 * @param lowFreqFactor                wavelengths above {@code original / lowFreqFactor} are scaled
 * @param highFreqFactor               wavelengths below {@code original / highFreqFactor} are kept
 * @param originalMaxPositionEmbeddings the pre-training context
 */
public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {

    /**
     * The llama3 scaling of a {@code rope_scaling} object, or null when it has none (absent, or
     * {@code default} / {@code mrope} types, which do not change frequencies).
     *
     * @throws dev.iris.api.config.ConfigException for a scaling type Iris does not implement
     */
    public static RopeScaling from(ConfigView ropeScaling) {
        if (ropeScaling == null) {
            return null;
        }
        String type = ropeScaling.string("rope_type").orElse(ropeScaling.stringOr("type", "default"));
        return switch (type) {
            case "default", "mrope" -> null;
            case "llama3" -> new RopeScaling(ropeScaling.requireNumber("factor"), ropeScaling.requireNumber("low_freq_factor"),
                    ropeScaling.requireNumber("high_freq_factor"), ropeScaling.requireInt("original_max_position_embeddings"));
            default -> throw new dev.iris.api.config.ConfigException(ropeScaling.source() + ": rope_type '" + type
                    + "' is not supported (default, llama3, mrope)");
        };
    }

    /** The scaled inverse frequency. */
    double apply(double invFreq) {
        double wavelength = 2 * Math.PI / invFreq;
        double lowWavelength = originalMaxPositionEmbeddings / lowFreqFactor;
        double highWavelength = originalMaxPositionEmbeddings / highFreqFactor;
        if (wavelength < highWavelength) {
            return invFreq;
        }
        if (wavelength > lowWavelength) {
            return invFreq / factor;
        }
        double smooth = (originalMaxPositionEmbeddings / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * invFreq / factor + smooth * invFreq;
    }
}
