package dev.iris.bench;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.compute.Activation;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.compute.RotaryLayout;
import dev.iris.api.tensor.Bf16;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * Every op of a backend against the reference backend (CPU) on the same random inputs: the
 * largest difference relative to the reference's largest magnitude, against a tolerance per op.
 * F32 ops are held to 1e-5 (summation order differs); a matmul against 16-bit weights on tensor
 * cores rounds its activations to the weight type first, so it gets bf16's (2⁻⁸) or f16's
 * (2⁻¹¹) rounding, with headroom for the sum: 1e-2 and 2e-3.
 */
final class OpParity {

    /** One compared op. */
    record Result(String op, String shape, double relativeError, double tolerance) {
        boolean passed() {
            return relativeError <= tolerance;
        }
    }

    private final ComputeBackend ref;
    private final AttentionBackend refAttention;
    private final ComputeBackend dev;
    private final AttentionBackend devAttention;
    private final SplittableRandom random = new SplittableRandom(20261129);
    private final Arena arena = Arena.ofAuto();
    private final List<Result> results = new ArrayList<>();

    OpParity(ComputeBackend ref, AttentionBackend refAttention, ComputeBackend dev, AttentionBackend devAttention) {
        this.ref = ref;
        this.refAttention = refAttention;
        this.dev = dev;
        this.devAttention = devAttention;
    }

    /** Runs every comparison; the results in order. */
    List<Result> run() {
        int n = 37;
        int k = 1536;
        int m = 1000;
        float[] x = floats(n * k);
        for (DType t : List.of(DType.F32, DType.BF16, DType.F16)) {
            WeightTensor w = weight("w", t, m, k);
            WeightTensor b = weight("b", t, m);
            double tol = t == DType.F32 ? 1e-5 : t == DType.BF16 ? 1e-2 : 2e-3;
            compare("linear " + t, n + "×" + k + " · " + m + "×" + k + "ᵀ + b", tol,
                    (c, a) -> c.linear(c.fromFloats(x, Shape.of(n, k)), c.weight(w), c.weight(b)));
        }
        int[] ids = {0, 5, 999, 5, 42};
        WeightTensor table = weight("embed", DType.BF16, m, 64);
        compare("embedding BF16", ids.length + " ids of 1000×64", 1e-6, (c, a) -> c.embedding(c.weight(table), ids));
        WeightTensor norm = weight("norm", DType.BF16, k);
        WeightTensor normBias = weight("norm.bias", DType.BF16, k);
        compare("rmsNorm", n + "×" + k, 1e-5, (c, a) -> c.rmsNorm(c.fromFloats(x, Shape.of(n, k)), c.weight(norm), 1e-6f));
        compare("layerNorm", n + "×" + k, 1e-5, (c, a) -> c.layerNorm(c.fromFloats(x, Shape.of(n, k)), c.weight(norm),
                c.weight(normBias), 1e-5f));
        float[] q = floats(n * 12 * 128);
        float[] cos = floats(n * 32);
        float[] sin = floats(n * 32);
        for (RotaryLayout layout : RotaryLayout.values()) {
            compare("rotary " + layout, n + "×12×128, 64 rotated", 1e-6, (c, a) -> c.rotary(c.fromFloats(q, Shape.of(n, 12, 128)),
                    c.fromFloats(cos, Shape.of(n, 32)), c.fromFloats(sin, Shape.of(n, 32)), layout));
        }
        for (Activation f : Activation.values()) {
            compare("activation " + f, String.valueOf(n * k), 1e-5, (c, a) -> c.activation(c.fromFloats(x, Shape.of(n, k)), f));
        }
        float[] y = floats(n * k);
        float[] row = floats(k);
        compare("gatedActivation SILU", n + "×" + k, 1e-5, (c, a) -> c.gatedActivation(c.fromFloats(x, Shape.of(n, k)),
                c.fromFloats(y, Shape.of(n, k)), Activation.SILU));
        compare("add (broadcast row)", n + "×" + k + " + " + k, 1e-6, (c, a) -> c.add(c.fromFloats(x, Shape.of(n, k)),
                c.fromFloats(row, Shape.of(k))));
        compare("mul", n + "×" + k, 1e-6, (c, a) -> c.mul(c.fromFloats(x, Shape.of(n, k)), c.fromFloats(y, Shape.of(n, k))));
        compare("scale", n + "×" + k, 1e-6, (c, a) -> c.scale(c.fromFloats(x, Shape.of(n, k)), 0.125f));
        compare("addInPlace", n + "×" + k, 1e-6, (c, a) -> {
            Tensor t = c.fromFloats(x, Shape.of(n, k));
            c.addInPlace(t, c.fromFloats(y, Shape.of(n, k)));
            return t;
        });
        compare("softmax", n + "×" + k, 1e-6, (c, a) -> c.softmax(c.fromFloats(x, Shape.of(n, k))));
        compare("slice (inner dimension)", n + "×12×128 [.., 3:9, ..]", 0, (c, a) ->
                c.slice(c.fromFloats(q, Shape.of(n, 12, 128)), 1, 3, 9));
        compare("slice (rows)", n + "×" + k + " [5:20]", 0, (c, a) -> c.slice(c.fromFloats(x, Shape.of(n, k)), 0, 5, 20));
        compare("transpose", n + "×12×128 (0, 1)", 0, (c, a) -> c.transpose(c.fromFloats(q, Shape.of(n, 12, 128)), 0, 1));
        compare("concat", "two " + n + "×" + k + " along 1", 0, (c, a) -> c.concat(1,
                List.of(c.fromFloats(x, Shape.of(n, k)), c.fromFloats(y, Shape.of(n, k)))));
        compare("gatherRows", "rows 3, 0, 3 of " + n + "×" + k, 0, (c, a) -> c.gatherRows(c.fromFloats(x, Shape.of(n, k)),
                new int[]{3, 0, 3}));
        compare("copyRowsInPlace", "4 rows into " + n + "×" + k, 0, (c, a) -> {
            Tensor dst = c.fromFloats(x, Shape.of(n, k));
            c.copyRowsInPlace(c.fromFloats(y, Shape.of(n, k)), 2, dst, 10, 4);
            return dst;
        });
        float[] image = floats(3 * 56 * 84);
        compare("patchify", "3×56×84, 14-pixel patches", 0, (c, a) -> c.patchify(c.fromFloats(image, Shape.of(3, 56, 84)), 14));
        attention();
        return List.copyOf(results);
    }

    /**
     * A mixed batch over paged caches of four-slot pages (a prefill chunk after a cached prefix,
     * a fresh prompt, a decode step; GQA 12 → 2 heads of 128), cross-attention with a mask, and
     * block-diagonal attention with a mask.
     */
    private void attention() {
        int heads = 12;
        int kvHeads = 2;
        int d = 128;
        KvCacheSpec spec = new KvCacheSpec(2, kvHeads, d, 4, 64);
        List<AttentionSequence> first = List.of(AttentionSequence.selfOnly(0, 9, 0, new int[]{7, 3, 60}),
                AttentionSequence.selfOnly(9, 3, 0, new int[]{1}));
        List<AttentionSequence> second = List.of(AttentionSequence.selfOnly(0, 5, 9, new int[]{7, 3, 60, 12}),
                AttentionSequence.selfOnly(5, 1, 3, new int[]{1}),
                AttentionSequence.selfOnly(6, 6, 0, new int[]{20, 21}));
        float[] q1 = floats(12 * heads * d);
        float[] k1 = floats(12 * kvHeads * d);
        float[] v1 = floats(12 * kvHeads * d);
        compare("selfAttention (paged, mixed batch, GQA)", "12 then 12 rows, 12→2 heads of 128", 1e-5, (c, a) -> {
            KvCache cache = a.createCache(spec);
            Tensor out = null;
            for (List<AttentionSequence> step : List.of(first, second)) {
                out = a.selfAttention(cache, 1, new AttentionBatch(step), c.fromFloats(q1, Shape.of(12, heads, d)),
                        c.fromFloats(k1, Shape.of(12, kvHeads, d)), c.fromFloats(v1, Shape.of(12, kvHeads, d)), 0.088f);
            }
            return out;
        });
        float[] ek = floats(10 * kvHeads * d);
        float[] ev = floats(10 * kvHeads * d);
        float[] mask = new float[3 * 10];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = random.nextInt(3) == 0 ? -1e30f : 0f;
        }
        compare("crossAttention (masked)", "3 rows over 10 encoder rows", 1e-5, (c, a) -> {
            KvCache cache = a.createCache(spec);
            AttentionSequence s = new AttentionSequence(0, 3, 0, new int[]{0}, 10, new int[]{9, 4, 33});
            a.writeEncoderStates(cache, 0, s, c.fromFloats(ek, Shape.of(10, kvHeads, d)), c.fromFloats(ev, Shape.of(10, kvHeads, d)));
            return a.crossAttention(cache, 0, new AttentionBatch(List.of(s)), c.fromFloats(q1, Shape.of(3, heads, d)),
                    c.fromFloats(mask, Shape.of(3, 10)), 0.088f);
        });
        int rows = 40;
        float[] vq = floats(rows * 4 * 64);
        float[] vk = floats(rows * 4 * 64);
        float[] vv = floats(rows * 4 * 64);
        float[] blockMask = new float[rows * rows];
        for (int i = 0; i < blockMask.length; i++) {
            blockMask[i] = random.nextInt(5) == 0 ? -1e30f : 0f;
        }
        compare("blockDiagonalAttention (masked)", rows + " rows in blocks 0, 16, 33; 4 heads of 64", 1e-5, (c, a) ->
                a.blockDiagonalAttention(c.fromFloats(vq, Shape.of(rows, 4, 64)), c.fromFloats(vk, Shape.of(rows, 4, 64)),
                        c.fromFloats(vv, Shape.of(rows, 4, 64)), new int[]{0, 16, 33},
                        c.fromFloats(blockMask, Shape.of(rows, rows)), 0.125f));
    }

    private void compare(String op, String shape, double tolerance, BiFunction<ComputeBackend, AttentionBackend, Tensor> f) {
        double error;
        try {
            float[] want = ref.toFloats(f.apply(ref, refAttention));
            float[] got = dev.toFloats(f.apply(dev, devAttention));
            error = relativeError(want, got);
        } catch (RuntimeException e) {
            System.err.println(op + ": " + e);
            error = Double.POSITIVE_INFINITY;
        }
        Result r = new Result(op, shape, error, tolerance);
        results.add(r);
        System.out.printf(Locale.ROOT, "%-42s %-40s %.2e (≤ %.0e) %s%n", op, shape, error, tolerance,
                r.passed() ? "ok" : "FAILED");
    }

    /** Largest absolute difference over the reference's largest magnitude; infinite for a length mismatch or NaN. */
    static double relativeError(float[] want, float[] got) {
        if (want.length != got.length) {
            return Double.POSITIVE_INFINITY;
        }
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            double e = Math.abs((double) want[i] - got[i]);
            if (Double.isNaN(e)) {
                return Double.POSITIVE_INFINITY;
            }
            diff = Math.max(diff, e);
        }
        return scale == 0 ? diff : diff / scale;
    }

    private float[] floats(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return v;
    }

    /** A random checkpoint tensor in native memory, stored as {@code type}. */
    private WeightTensor weight(String name, DType type, int... dims) {
        Shape shape = Shape.of(dims);
        long count = shape.elementCount();
        MemorySegment data = arena.allocate(count * type.byteSize(), 8);
        for (long i = 0; i < count; i++) {
            float v = (float) (random.nextDouble() * 0.2 - 0.1);
            switch (type) {
                case F32 -> data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
                case BF16 -> data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Bf16.fromFloat(v));
                case F16 -> data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        return new WeightTensor(name, type, shape, data);
    }
}
