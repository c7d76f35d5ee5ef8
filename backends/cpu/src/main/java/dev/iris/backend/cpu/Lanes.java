package dev.iris.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums of a vector's lanes in fixed orders. The Vector API leaves the order of
 * {@code reduceLanes(ADD)} open, and the interpreter and the JIT take different ones, so the same
 * computation would round differently before and after compilation; greedy output must be a pure
 * function of its inputs, so kernels sum with these instead.
 */
final class Lanes {

    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final int L = F.length();
    // Lane i takes lane i + w (mod L): one level of the linear kernels' reduction tree each.
    private static final VectorShuffle<Float> BY_8 = VectorShuffle.fromOp(F, i -> (i + 8) % L);
    private static final VectorShuffle<Float> BY_4 = VectorShuffle.fromOp(F, i -> (i + 4) % L);
    private static final VectorShuffle<Float> BY_2 = VectorShuffle.fromOp(F, i -> (i + 2) % L);
    private static final VectorShuffle<Float> BY_1 = VectorShuffle.fromOp(F, i -> (i + 1) % L);

    private Lanes() {
    }

    /**
     * The lanes' sum in a fixed tree order — lane i + L/2 added to lane i, then i + L/4, … — one
     * permute and one add per level instead of L − 1 dependent scalar adds; small enough that the
     * JIT inlines it, so the vector stays in registers.
     */
    static float sum(FloatVector v) {
        if (L >= 16) {
            v = v.add(v.rearrange(BY_8));
        }
        if (L >= 8) {
            v = v.add(v.rearrange(BY_4));
        }
        if (L >= 4) {
            v = v.add(v.rearrange(BY_2));
        }
        return v.add(v.rearrange(BY_1)).lane(0);
    }

    /**
     * The linear kernels' reduction: {@code buf[t]} = {@link #sum} of the L lanes stored at
     * {@code buf[at + t·L]}, for {@code t < count} ({@code at ≥ count}). The accumulators are
     * passed stored, so no vector crosses a call out of a large kernel (C2 would box it there).
     */
    static void sumStored(float[] buf, int at, int count) {
        for (int t = 0; t < count; t++) {
            buf[t] = sum(FloatVector.fromArray(F, buf, at + t * L));
        }
    }
}
