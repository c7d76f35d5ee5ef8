package dev.iris.bench;

import dev.iris.api.tensor.Bf16;
import dev.iris.api.tensor.WeightTensor;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The baselines the kernels are measured against: the textbook loops, one thread, one element
 * at a time, with BF16 widened on every read.
 */
final class NaiveKernels {

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private NaiveKernels() {
    }

    /** y[n, m] = x[n, k] · w[m, k]ᵀ with a BF16 weight. */
    static float[] linearBf16(float[] x, int n, WeightTensor w) {
        int m = w.shape().dim(0);
        int k = w.shape().dim(1);
        float[] y = new float[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                float s = 0;
                for (int c = 0; c < k; c++) {
                    s += x[i * k + c] * Bf16.toFloat(w.data().getAtIndex(I16, (long) j * k + c));
                }
                y[i * m + j] = s;
            }
        }
        return y;
    }

    /**
     * One decode token's attention for every head: {@code keys}/{@code values} are
     * {@code [context][kvHeads][headDim]}, query {@code [heads][headDim]}.
     */
    static float[] attention(float[] q, float[] keys, float[] values, int context, int heads, int kvHeads, int headDim,
                             float scale) {
        float[] out = new float[heads * headDim];
        float[] scores = new float[context];
        int group = heads / kvHeads;
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            float max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < context; t++) {
                float s = 0;
                for (int d = 0; d < headDim; d++) {
                    s += q[h * headDim + d] * keys[(t * kvHeads + g) * headDim + d];
                }
                scores[t] = s * scale;
                max = Math.max(max, scores[t]);
            }
            float sum = 0;
            for (int t = 0; t < context; t++) {
                scores[t] = (float) Math.exp(scores[t] - max);
                sum += scores[t];
            }
            for (int t = 0; t < context; t++) {
                for (int d = 0; d < headDim; d++) {
                    out[h * headDim + d] += scores[t] / sum * values[(t * kvHeads + g) * headDim + d];
                }
            }
        }
        return out;
    }
}
