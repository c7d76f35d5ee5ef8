package dev.iris.modelkit.rope;

import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.model.Positions;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;

import java.util.Arrays;

/**
 * The rotary position variants the families use, as cos/sin tables for
 * {@link ComputeBackend#rotary}: 1-D RoPE ({@code inv_freq_i = θ^(−2i/d)}), optionally with
 * llama3 frequency scaling, and Qwen2-VL's M-RoPE, where frequency slot {@code i} takes its
 * position from the axis (temporal, height, width) whose {@code mrope_section} contains {@code i}.
 * Angles are computed in F32, as Hugging Face does.
 */
public final class RotaryEmbedding {

    private final float[] invFreq;
    /** For each frequency slot, the position axis it reads (all 0 for 1-D RoPE). */
    private final int[] axisOfSlot;

    private RotaryEmbedding(float[] invFreq, int[] axisOfSlot) {
        this.invFreq = invFreq;
        this.axisOfSlot = axisOfSlot;
    }

    /**
     * @param rotaryDim    dimensions rotated per head (the head dimension for these families)
     * @param theta        {@code rope_theta}
     * @param scaling      llama3 scaling, or null
     * @param mropeSection M-RoPE's slots per axis (summing to {@code rotaryDim / 2}), or null for 1-D
     */
    public static RotaryEmbedding create(int rotaryDim, double theta, RopeScaling scaling, int[] mropeSection) {
        int half = rotaryDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            double f = 1.0 / Math.pow(theta, (2.0 * i) / rotaryDim);
            inv[i] = (float) (scaling == null ? f : scaling.apply(f));
        }
        int[] axis = new int[half];
        if (mropeSection != null) {
            if (Arrays.stream(mropeSection).sum() != half) {
                throw new IllegalArgumentException("mrope_section " + Arrays.toString(mropeSection) + " must sum to "
                        + half + " (half the head dimension)");
            }
            int slot = 0;
            for (int a = 0; a < mropeSection.length; a++) {
                for (int j = 0; j < mropeSection[a]; j++) {
                    axis[slot++] = a;
                }
            }
        }
        return new RotaryEmbedding(inv, axis);
    }

    /** Position axes this embedding reads: 3 for M-RoPE, else 1. */
    public int axes() {
        return Arrays.stream(axisOfSlot).max().orElse(0) + 1;
    }

    /** cos and sin tables {@code [tokens, rotaryDim / 2]} for these positions. */
    public Tensor[] tables(ComputeBackend backend, Positions positions) {
        int tokens = positions.tokens();
        int half = invFreq.length;
        float[] cos = new float[tokens * half];
        float[] sin = new float[tokens * half];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < half; i++) {
                int axis = Math.min(axisOfSlot[i], positions.axes() - 1);
                float angle = positions.at(axis, t) * invFreq[i];
                cos[t * half + i] = (float) Math.cos(angle);
                sin[t * half + i] = (float) Math.sin(angle);
            }
        }
        return new Tensor[]{backend.fromFloats(cos, Shape.of(tokens, half)), backend.fromFloats(sin, Shape.of(tokens, half))};
    }
}
