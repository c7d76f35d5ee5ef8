package dev.iris.backend.cpu;

import dev.iris.api.quant.Dequantizer;
import dev.iris.api.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Widening of stored weights to F32, exactly: BF16 is the upper half of an F32 (vectorised with
 * as many shorts per vector as the preferred float species has lanes); F16 goes through the
 * JDK's conversion, which the JIT vectorises; llama.cpp's quantized blocks through the reference
 * {@link Dequantizer}.
 */
final class WeightRows {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private WeightRows() {
    }

    /** {@code dst[dstOff + i] = src[srcElem + i]} as F32, for {@code i < count}. */
    static void widen(MemorySegment src, DType dtype, long srcElem, float[] dst, int dstOff, int count) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, F32, srcElem * 4, dst, dstOff, count);
            case BF16 -> widenBf16(src, srcElem * 2, dst, dstOff, count);
            case F16 -> widenF16(src, srcElem * 2, dst, dstOff, count);
            // Whole blocks: the callers read whole rows, and rows are whole blocks.
            case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K ->
                    Dequantizer.dequantize(dtype.ggml(), src.asSlice(dtype.bytes(srcElem)), dst, dstOff, count);
            default -> throw new IllegalArgumentException("cannot read " + dtype + " as floating point");
        }
    }

    /**
     * {@code F.length()} BF16 pairs from element {@code elem} (even), read as ints: the even
     * elements of the 2·L run are {@code bits << 16}, the odd ones {@code bits & 0xffff0000}
     * (little-endian: the even element is the low half). No lane crosses, so this is cheaper
     * than widening shorts to ints.
     */
    static IntVector loadBf16Pairs(MemorySegment src, long elem) {
        return IntVector.fromMemorySegment(I, src, 2 * elem, LE);
    }

    /** The even elements of a pair load, as F32. */
    static FloatVector evens(IntVector pairs) {
        return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The odd elements of a pair load, as F32. */
    static FloatVector odds(IntVector pairs) {
        return pairs.lanewise(VectorOperators.AND, 0xffff0000).reinterpretAsFloats();
    }

    /**
     * Widens a BF16 row into the pair layout ({@link PairLayout}): per run of 2·L elements the L
     * even ones, then the L odd ones; the columns past the last whole run in natural order.
     */
    static void widenBf16Pairs(MemorySegment src, long srcElem, float[] dst, int dstOff, int k) {
        int run = 2 * F.length();
        int kv = k - k % run;
        for (int c = 0; c < kv; c += run) {
            IntVector p = loadBf16Pairs(src, srcElem + c);
            evens(p).intoArray(dst, dstOff + c);
            odds(p).intoArray(dst, dstOff + c + F.length());
        }
        for (int c = kv; c < k; c++) {
            dst[dstOff + c] = loadBf16One(src, srcElem + c);
        }
    }

    /** One stored BF16 value as F32. */
    static float loadBf16One(MemorySegment src, long elem) {
        return Float.intBitsToFloat((src.get(I16, 2 * elem) & 0xffff) << 16);
    }

    /** BF16 → F32: shift the 16 stored bits into the top half. */
    private static void widenBf16(MemorySegment src, long byteOff, float[] dst, int dstOff, int count) {
        int lanes = F.length();
        int i = 0;
        for (; i <= count - lanes; i += lanes) {
            ShortVector s = ShortVector.fromMemorySegment(S, src, byteOff + 2L * i, LE);
            ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        for (; i < count; i++) {
            dst[dstOff + i] = Float.intBitsToFloat((src.get(I16, byteOff + 2L * i) & 0xffff) << 16);
        }
    }

    /**
     * F16 → F32 with {@link Float#float16ToFloat}, exact for every value. C2 turns this plain loop
     * into the hardware conversion (vcvtph2ps), which measured twice as fast as the bit
     * manipulation the Vector API would need.
     */
    private static void widenF16(MemorySegment src, long byteOff, float[] dst, int dstOff, int count) {
        for (int i = 0; i < count; i++) {
            dst[dstOff + i] = Float.float16ToFloat(src.get(I16, byteOff + 2L * i));
        }
    }
}
