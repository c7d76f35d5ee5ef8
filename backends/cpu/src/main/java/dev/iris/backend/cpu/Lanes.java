package dev.iris.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in one fixed order: halves added pairwise, log2(lanes) times. The
 * Vector API leaves the order of {@code reduceLanes(ADD)} open, and the interpreter and the JIT
 * take different ones, so the same computation would round differently before and after
 * compilation; greedy output must be a pure function of its inputs, so every kernel sums this way.
 */
final class Lanes {

    private static final VectorSpecies<Float> F = WeightRows.F;
    /** For each halving step, the shuffle that brings the upper half of the live lanes down. */
    private static final VectorShuffle<Float>[] HALVES = halves();

    private Lanes() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves() {
        int steps = Integer.numberOfTrailingZeros(F.length());
        VectorShuffle<Float>[] s = new VectorShuffle[steps];
        for (int i = 0, width = F.length() / 2; i < steps; i++, width /= 2) {
            int w = width;
            s[i] = VectorShuffle.fromOp(F, lane -> (lane + w) % F.length());
        }
        return s;
    }

    static float sum(FloatVector v) {
        for (VectorShuffle<Float> half : HALVES) {
            v = v.add(v.rearrange(half));
        }
        return v.lane(0);
    }
}
