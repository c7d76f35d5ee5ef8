package dev.iris.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * The error function, which neither {@link Math} nor the Vector API has: Abramowitz and Stegun
 * 7.1.26, {@code 1 - (a1 t + … + a5 t⁵) e^{-x²}} with {@code t = 1 / (1 + p|x|)}, odd in x.
 * Absolute error at most 1.5e-7, about one F32 ulp near 1, so exact GELU keeps parity with
 * PyTorch's {@code erf} well inside the fixtures' tolerances. Built on
 * {@link ElementwiseKernels#exp}, vector and scalar operation for operation, so a value rounds the
 * same on either path.
 */
final class Erf {

    private static final float P = 0.3275911f;
    private static final float A1 = 0.254829592f;
    private static final float A2 = -0.284496736f;
    private static final float A3 = 1.421413741f;
    private static final float A4 = -1.453152027f;
    private static final float A5 = 1.061405429f;

    private Erf() {
    }

    static FloatVector erf(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector t = FloatVector.broadcast(x.species(), 1f).div(ax.mul(P).add(1f));
        FloatVector poly = t.mul(A5).add(A4).mul(t).add(A3).mul(t).add(A2).mul(t).add(A1).mul(t);
        FloatVector r = FloatVector.broadcast(x.species(), 1f).sub(poly.mul(ElementwiseKernels.exp(ax.mul(ax).neg())));
        IntVector sign = x.reinterpretAsInts().and(0x80000000);
        return r.reinterpretAsInts().and(0x7fffffff).or(sign).reinterpretAsFloats();
    }

    static float erf(float x) {
        float ax = Math.abs(x);
        float t = 1f / (ax * P + 1f);
        float poly = ((((t * A5 + A4) * t + A3) * t + A2) * t + A1) * t;
        float r = 1f - poly * ElementwiseKernels.exp(-(ax * ax));
        return Float.intBitsToFloat(Float.floatToRawIntBits(r) & 0x7fffffff | Float.floatToRawIntBits(x) & 0x80000000);
    }
}
