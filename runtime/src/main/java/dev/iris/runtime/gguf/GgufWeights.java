package dev.iris.runtime.gguf;

import dev.iris.api.quant.Dequantizer;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.WeightSource;
import dev.iris.api.tensor.WeightTensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * GGUF tensors under their Hugging Face names, as a {@link WeightSource} the model families read
 * unchanged. Most are views of the mapping; the few that llama.cpp's converter reshaped are put
 * back once, on first use, into memory this source owns: rows it permuted (Llama's Q/K), tensors
 * it split (Qwen2-VL's fused QKV, the two frames of its patch embedding).
 */
final class GgufWeights implements WeightSource {

    /** How one Hugging Face tensor is made from GGUF tensors. */
    @FunctionalInterface
    interface Recipe {
        WeightTensor make(String name, Arena arena) throws IOException;
    }

    private final Arena arena;
    private final Map<String, Recipe> recipes;
    private final Map<String, WeightTensor> made = new ConcurrentHashMap<>();

    /** @param arena the files' mapping; closed with this source */
    GgufWeights(Arena arena, Map<String, Recipe> recipes) {
        this.arena = arena;
        this.recipes = Collections.unmodifiableMap(new LinkedHashMap<>(recipes));
    }

    @Override
    public Set<String> names() {
        return recipes.keySet();
    }

    @Override
    public WeightTensor get(String name) throws IOException {
        WeightTensor t = made.get(name);
        if (t != null) {
            return t;
        }
        Recipe r = recipes.get(name);
        if (r == null) {
            throw new IOException("the GGUF files have no tensor for '" + name + "'");
        }
        synchronized (this) {
            t = made.get(name);
            if (t == null) {
                t = r.make(name, arena);
                made.put(name, t);
            }
        }
        return t;
    }

    @Override
    public void close() {
        arena.close();
    }

    /** The tensor as stored. */
    static Recipe view(GgufTensor t) {
        return (name, arena) -> new WeightTensor(name, DType.of(t.type()), t.shape(), t.data());
    }

    /**
     * Undoes the row order {@code LlamaModel.permute} gives Q and K: within each head of
     * {@code d} rows, the converter interleaved the two rotary halves, putting Hugging Face row
     * {@code half·d/2 + i} at {@code 2i + half}.
     */
    static Recipe unpermuted(GgufTensor t, int heads) {
        return (name, arena) -> {
            int rows = t.shape().dim(0);
            if (rows % (2 * heads) != 0) {
                throw new IOException("tensor '" + t.name() + "': " + rows + " rows do not split into " + heads
                        + " heads of two rotary halves");
            }
            long rowBytes = t.data().byteSize() / rows;
            int d = rows / heads;
            MemorySegment out = arena.allocate(t.data().byteSize(), 64);
            for (int h = 0; h < heads; h++) {
                for (int half = 0; half < 2; half++) {
                    for (int i = 0; i < d / 2; i++) {
                        long from = (long) h * d + 2L * i + half;
                        long to = (long) h * d + (long) half * (d / 2) + i;
                        MemorySegment.copy(t.data(), from * rowBytes, out, to * rowBytes, rowBytes);
                    }
                }
            }
            return new WeightTensor(name, DType.of(t.type()), t.shape(), out);
        };
    }

    /**
     * Tensors stacked along their first dimension (Q, K, V back into one QKV). Parts of one type
     * are joined as stored; parts of different types (a quantization mix) are widened to F32.
     */
    static Recipe concatenated(List<GgufTensor> parts) {
        return (name, arena) -> {
            GgufTensor first = parts.getFirst();
            boolean sameType = parts.stream().allMatch(p -> p.type() == first.type());
            DType type = sameType ? DType.of(first.type()) : DType.F32;
            int rows = 0;
            long bytes = 0;
            for (GgufTensor p : parts) {
                if (p.shape().rank() != first.shape().rank()
                        || p.shape().elementCount() / p.shape().dim(0) != first.shape().elementCount() / first.shape().dim(0)) {
                    throw new IOException("tensors '" + first.name() + "' and '" + p.name() + "' do not stack: "
                            + first.shape() + " and " + p.shape());
                }
                rows += p.shape().dim(0);
                bytes += sameType ? p.data().byteSize() : p.shape().elementCount() * 4L;
            }
            int[] dims = first.shape().dims();
            dims[0] = rows;
            MemorySegment out = arena.allocate(bytes, 64);
            long at = 0;
            for (GgufTensor p : parts) {
                if (sameType) {
                    MemorySegment.copy(p.data(), 0, out, at, p.data().byteSize());
                    at += p.data().byteSize();
                } else {
                    float[] values = new float[Math.toIntExact(p.shape().elementCount())];
                    Dequantizer.dequantize(p.type(), p.data(), values, 0, values.length);
                    MemorySegment.copy(values, 0, out, ValueLayout.JAVA_FLOAT_UNALIGNED, at, values.length);
                    at += values.length * 4L;
                }
            }
            return new WeightTensor(name, type, Shape.of(dims), out);
        };
    }

    /**
     * Qwen2-VL's Conv3d patch embedding {@code [out, in, 2, p, p]} from the two per-frame
     * {@code [out, in, p, p]} kernels the converter split it into.
     */
    static Recipe framesStacked(GgufTensor frame0, GgufTensor frame1) {
        return (name, arena) -> {
            if (frame0.type() != frame1.type() || !frame0.shape().equals(frame1.shape()) || frame0.shape().rank() != 4
                    || frame0.type().blockElements() != 1) {
                throw new IOException("tensors '" + frame0.name() + "' and '" + frame1.name()
                        + "' are not two frames of one patch embedding: " + frame0.type() + frame0.shape() + ", "
                        + frame1.type() + frame1.shape());
            }
            int[] d = frame0.shape().dims();
            long kernelBytes = frame0.data().byteSize() / ((long) d[0] * d[1]);
            MemorySegment out = arena.allocate(2 * frame0.data().byteSize(), 64);
            for (long k = 0; k < (long) d[0] * d[1]; k++) {
                MemorySegment.copy(frame0.data(), k * kernelBytes, out, 2 * k * kernelBytes, kernelBytes);
                MemorySegment.copy(frame1.data(), k * kernelBytes, out, (2 * k + 1) * kernelBytes, kernelBytes);
            }
            return new WeightTensor(name, DType.of(frame0.type()), Shape.of(d[0], d[1], 2, d[2], d[3]), out);
        };
    }
}
