package dev.iris.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels that work one row (the last dimension) at a time: normalisations and softmax. Each
 * reads its row twice at most and accumulates in F32 vectors.
 */
final class RowKernels {

    private static final VectorSpecies<Float> F = WeightRows.F;

    private RowKernels() {
    }

    /** y = x / sqrt(mean(x²) + eps) * w, over one row of {@code d} values. */
    static void rmsNorm(float[] x, int xo, float[] w, int wo, float eps, float[] y, int yo, int d) {
        FloatVector acc = FloatVector.zero(F);
        int upper = F.loopBound(d);
        int i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xo + i);
            acc = v.fma(v, acc);
        }
        float sum = Lanes.sum(acc);
        for (; i < d; i++) {
            sum += x[xo + i] * x[xo + i];
        }
        float inv = (float) (1.0 / Math.sqrt(sum / d + eps));
        i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).mul(inv).mul(FloatVector.fromArray(F, w, wo + i)).intoArray(y, yo + i);
        }
        for (; i < d; i++) {
            y[yo + i] = x[xo + i] * inv * w[wo + i];
        }
    }

    /** y = (x - mean) / sqrt(var + eps) * w + b, biased variance, over one row. */
    static void layerNorm(float[] x, int xo, float[] w, int wo, float[] b, int bo, float eps, float[] y, int yo, int d) {
        int upper = F.loopBound(d);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < upper; i += F.length()) {
            acc = acc.add(FloatVector.fromArray(F, x, xo + i));
        }
        float sum = Lanes.sum(acc);
        for (; i < d; i++) {
            sum += x[xo + i];
        }
        float mean = sum / d;
        acc = FloatVector.zero(F);
        i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector c = FloatVector.fromArray(F, x, xo + i).sub(mean);
            acc = c.fma(c, acc);
        }
        float sq = Lanes.sum(acc);
        for (; i < d; i++) {
            float c = x[xo + i] - mean;
            sq += c * c;
        }
        float inv = (float) (1.0 / Math.sqrt(sq / d + eps));
        i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).sub(mean).mul(inv)
                    .fma(FloatVector.fromArray(F, w, wo + i), FloatVector.fromArray(F, b, bo + i)).intoArray(y, yo + i);
        }
        for (; i < d; i++) {
            y[yo + i] = (x[xo + i] - mean) * inv * w[wo + i] + b[bo + i];
        }
    }

    /** Softmax of one row in place, after subtracting the row's maximum; returns nothing, all-−∞ rows become 0. */
    static void softmaxInPlace(float[] x, int xo, int d) {
        int upper = F.loopBound(d);
        FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < upper; i += F.length()) {
            mv = mv.max(FloatVector.fromArray(F, x, xo + i));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < d; i++) {
            max = Math.max(max, x[xo + i]);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(x, xo, xo + d, 0f);
            return;
        }
        // ElementwiseKernels.exp, not the Vector API's EXP: it rounds the same compiled or not.
        FloatVector acc = FloatVector.zero(F);
        i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector e = ElementwiseKernels.exp(FloatVector.fromArray(F, x, xo + i).sub(max));
            e.intoArray(x, xo + i);
            acc = acc.add(e);
        }
        float sum = Lanes.sum(acc);
        for (; i < d; i++) {
            x[xo + i] = ElementwiseKernels.exp(x[xo + i] - max);
            sum += x[xo + i];
        }
        float inv = 1f / sum;
        i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).mul(inv).intoArray(x, xo + i);
        }
        for (; i < d; i++) {
            x[xo + i] *= inv;
        }
    }
}
