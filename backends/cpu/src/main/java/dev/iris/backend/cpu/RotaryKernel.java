package dev.iris.backend.cpu;

import dev.iris.api.compute.RotaryLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Applies per-token rotation angles to every head of a {@code [tokens, heads, headDim]} tensor. */
final class RotaryKernel {

    private static final VectorSpecies<Float> F = WeightRows.F;

    private RotaryKernel() {
    }

    /**
     * Rotates one head (at {@code xo}, {@code headDim} values) of a token whose cos and sin rows
     * start at {@code co} and {@code so}: {@code half} pairs, the rest of the head copied unchanged.
     */
    static void rotateHead(RotaryLayout layout, float[] x, int xo, float[] cos, int co, float[] sin, int so, int half,
                           int headDim, float[] y, int yo) {
        if (layout == RotaryLayout.HALF) {
            // (a, b) = (x[i], x[i + half]) → (a cos − b sin, b cos + a sin)
            int upper = F.loopBound(half);
            int i = 0;
            for (; i < upper; i += F.length()) {
                FloatVector a = FloatVector.fromArray(F, x, xo + i);
                FloatVector b = FloatVector.fromArray(F, x, xo + half + i);
                FloatVector c = FloatVector.fromArray(F, cos, co + i);
                FloatVector s = FloatVector.fromArray(F, sin, so + i);
                a.mul(c).sub(b.mul(s)).intoArray(y, yo + i);
                b.mul(c).add(a.mul(s)).intoArray(y, yo + half + i);
            }
            for (; i < half; i++) {
                float a = x[xo + i];
                float b = x[xo + half + i];
                y[yo + i] = a * cos[co + i] - b * sin[so + i];
                y[yo + half + i] = b * cos[co + i] + a * sin[so + i];
            }
        } else {
            // (a, b) = (x[2i], x[2i + 1])
            for (int i = 0; i < half; i++) {
                float a = x[xo + 2 * i];
                float b = x[xo + 2 * i + 1];
                y[yo + 2 * i] = a * cos[co + i] - b * sin[so + i];
                y[yo + 2 * i + 1] = b * cos[co + i] + a * sin[so + i];
            }
        }
        if (2 * half < headDim && (y != x || yo != xo)) {
            System.arraycopy(x, xo + 2 * half, y, yo + 2 * half, headDim - 2 * half);
        }
    }
}
