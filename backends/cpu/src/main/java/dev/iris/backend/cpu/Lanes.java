package dev.iris.backend.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * The sum of a vector's lanes in one fixed order (lane 0 first). The Vector API leaves the order
 * of {@code reduceLanes(ADD)} open, and the interpreter and the JIT take different ones, so the
 * same computation would round differently before and after compilation; greedy output must be a
 * pure function of its inputs, so every kernel sums this way.
 */
final class Lanes {

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[WeightRows.F.length()]);

    private Lanes() {
    }

    static float sum(FloatVector v) {
        float[] lanes = LANES.get();
        v.intoArray(lanes, 0);
        return sum(lanes, 0);
    }

    /**
     * The same sum for a vector already stored at {@code lanes[off, off + L)}: kernels that reduce
     * many accumulators store them all, then sum, so no vector crosses a call (C2 would box it).
     */
    static float sum(float[] lanes, int off) {
        float s = lanes[off];
        for (int i = 1; i < WeightRows.F.length(); i++) {
            s += lanes[off + i];
        }
        return s;
    }
}
