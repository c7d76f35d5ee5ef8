package dev.iris.backend.cpu;

import dev.iris.api.compute.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Elementwise kernels over ranges of F32 arrays: activations and broadcast arithmetic. */
final class ElementwiseKernels {

    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final float SQRT_HALF = (float) Math.sqrt(0.5);
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    private ElementwiseKernels() {
    }

    /**
     * y[i] = f(x[i]) for i < n. SiLU, quick-GELU and both GELUs are made of {@link #exp} and plain
     * lane-wise arithmetic, vector and scalar tail operation for operation, so an element rounds
     * the same whichever path a chunk boundary gives it (the Vector API's own exp and tanh would
     * not: see {@link Lanes}); tanh alone stays on {@link Math#tanh}.
     */
    static void activation(Activation f, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        if (f != Activation.TANH) {
            for (int upper = F.loopBound(n); i < upper; i += F.length()) {
                activation(f, FloatVector.fromArray(F, x, xo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) {
            y[yo + i] = activation(f, x[xo + i]);
        }
    }

    private static FloatVector activation(Activation f, FloatVector x) {
        return switch (f) {
            case SILU -> x.div(exp(x.neg()).add(1f));
            case QUICK_GELU -> x.div(exp(x.mul(-1.702f)).add(1f));
            case GELU_TANH -> {
                FloatVector u = x.mul(0.044715f).mul(x).mul(x).add(x).mul(SQRT_2_OVER_PI);
                FloatVector t = FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(exp(u.mul(2f)).add(1f)));
                yield x.mul(0.5f).mul(t.add(1f));
            }
            case GELU_ERF -> x.mul(0.5f).mul(Erf.erf(x.mul(SQRT_HALF)).add(1f));
            case TANH -> throw new IllegalArgumentException("tanh is scalar");
        };
    }

    /** One lane of {@link #activation(Activation, FloatVector)}, operation for operation. */
    private static float activation(Activation f, float x) {
        return switch (f) {
            case SILU -> x / (exp(-x) + 1f);
            case QUICK_GELU -> x / (exp(x * -1.702f) + 1f);
            case GELU_TANH -> {
                float u = (x * 0.044715f * x * x + x) * SQRT_2_OVER_PI;
                float t = 1f - 2f / (exp(u * 2f) + 1f);
                yield x * 0.5f * (t + 1f);
            }
            case GELU_ERF -> x * 0.5f * (Erf.erf(x * SQRT_HALF) + 1f);
            case TANH -> (float) Math.tanh(x);
        };
    }

    /** y[i] = f(gate[i]) * up[i] for i < n, f as {@link #activation}. */
    static void gated(Activation f, float[] g, int go, float[] u, int uo, float[] y, int yo, int n) {
        int i = 0;
        if (f != Activation.TANH) {
            for (int upper = F.loopBound(n); i < upper; i += F.length()) {
                activation(f, FloatVector.fromArray(F, g, go + i)).mul(FloatVector.fromArray(F, u, uo + i))
                        .intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) {
            y[yo + i] = activation(f, g[go + i]) * u[uo + i];
        }
    }

    // exp(x) = 2^n · e^r with n = round(x / ln 2) and |r| ≤ ln 2 / 2; e^r by its Taylor series to
    // r^6 (error below 2e-7 relative); ln 2 split in two so that r is exact.
    private static final float LOG2_E = 1.44269504f;
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.428606765330187e-06f;
    /** 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer, kept in the low bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);

    /**
     * e^x for every lane, the same bits interpreted or compiled; 0 below −87 (so a masked −∞ score
     * weighs nothing), inputs above 88 are taken as 88.
     */
    static FloatVector exp(FloatVector x) {
        var underflow = x.lt(-87f);
        x = x.max(-87f).min(88f);
        FloatVector t = x.fma(FloatVector.broadcast(F, LOG2_E), FloatVector.broadcast(F, ROUNDER));
        FloatVector n = t.sub(ROUNDER);
        IntVector bits = t.reinterpretAsInts().sub(ROUNDER_BITS);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, 1f / 720);
        p = p.fma(r, FloatVector.broadcast(F, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        FloatVector scale = bits.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale).blend(0f, underflow);
    }

    /** The same e^x for one value, operation for operation. */
    static float exp(float x) {
        if (x < -87f) {
            return 0f;
        }
        x = Math.min(x, 88f);
        float t = Math.fma(x, LOG2_E, ROUNDER);
        float n = t - ROUNDER;
        int bits = Float.floatToRawIntBits(t) - ROUNDER_BITS;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = 1f / 720;
        p = Math.fma(p, r, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat((bits + 127) << 23);
    }

    /** y[i] = a[i] op b[i % bn] for i < n, where bn divides n (b broadcast over leading dims). */
    static void broadcast(boolean multiply, float[] a, int ao, float[] b, int bo, int bn, float[] y, int yo, int n) {
        for (int base = 0; base < n; base += bn) {
            int upper = F.loopBound(bn);
            int i = 0;
            for (; i < upper; i += F.length()) {
                FloatVector av = FloatVector.fromArray(F, a, ao + base + i);
                FloatVector bv = FloatVector.fromArray(F, b, bo + i);
                (multiply ? av.mul(bv) : av.add(bv)).intoArray(y, yo + base + i);
            }
            for (; i < bn; i++) {
                y[yo + base + i] = multiply ? a[ao + base + i] * b[bo + i] : a[ao + base + i] + b[bo + i];
            }
        }
    }

    /** y[i] = a[i] * s. */
    static void scale(float[] a, int ao, float s, float[] y, int yo, int n) {
        int upper = F.loopBound(n);
        int i = 0;
        for (; i < upper; i += F.length()) {
            FloatVector.fromArray(F, a, ao + i).mul(s).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = a[ao + i] * s;
        }
    }
}
