package dev.iris.backend.cpu;

import dev.iris.api.compute.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Elementwise kernels over ranges of F32 arrays: activations and broadcast arithmetic. */
final class ElementwiseKernels {

    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final float SQRT_HALF = (float) Math.sqrt(0.5);
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    private ElementwiseKernels() {
    }

    /**
     * y[i] = f(x[i]) for i < n. Scalar on purpose: the activations need exp or tanh, and the
     * Vector API's versions round differently in the interpreter and the JIT (see {@link Lanes});
     * these ops are a sliver of a layer's time next to its matrix products.
     */
    static void activation(Activation f, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = apply(f, x[xo + i]);
        }
    }

    /** y[i] = f(gate[i]) * up[i] for i < n (scalar, as {@link #activation}). */
    static void gated(Activation f, float[] g, int go, float[] u, int uo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = apply(f, g[go + i]) * u[uo + i];
        }
    }

    static float apply(Activation f, float x) {
        return switch (f) {
            case SILU -> x / (1f + (float) Math.exp(-x));
            case QUICK_GELU -> x / (1f + (float) Math.exp(-1.702f * x));
            case GELU_ERF -> 0.5f * x * (1f + Erf.erf(x * SQRT_HALF));
            case GELU_TANH -> 0.5f * x * (1f + (float) Math.tanh(SQRT_2_OVER_PI * (x + 0.044715f * x * x * x)));
            case TANH -> (float) Math.tanh(x);
        };
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
