package dev.iris.api.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Blocks of a {@link GgmlType} back to F32 values, the reference way: the same formulas, in the
 * same order of F32 operations, as llama.cpp's {@code dequantize_row_*} and gguf-py's
 * {@code quants.py}, so the values are theirs bit for bit. Plain loops: this is the ground truth
 * the fast kernels are tested against and the path for tensors read once (embeddings, norms).
 */
public final class Dequantizer {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Dequantizer() {
    }

    /**
     * Decodes {@code count} values (whole blocks) of {@code type} from the start of {@code src}
     * into {@code dst} from {@code dstOff}.
     *
     * @throws IllegalArgumentException for a type Iris does not read, or a count that is not whole blocks
     */
    public static void dequantize(GgmlType type, MemorySegment src, float[] dst, int dstOff, int count) {
        if (!type.quantized()) {
            plain(type, src, dst, dstOff, count);
            return;
        }
        long blocks = type.bytes(count) / type.blockBytes();
        BlockDecoder block = switch (type) {
            case Q8_0 -> Dequantizer::q8_0;
            case Q4_0 -> Dequantizer::q4_0;
            case Q4_1 -> Dequantizer::q4_1;
            case Q4_K -> Dequantizer::q4_k;
            case Q5_K -> Dequantizer::q5_k;
            case Q6_K -> Dequantizer::q6_k;
            default -> throw new IllegalArgumentException("Iris does not read " + type + " tensors; it reads "
                    + GgmlType.readableTypes());
        };
        for (long b = 0; b < blocks; b++) {
            block.decode(src.asSlice(b * type.blockBytes(), type.blockBytes()), dst,
                    dstOff + (int) b * type.blockElements());
        }
    }

    /** F32, F16 and BF16: one value per element, widened exactly. */
    private static void plain(GgmlType type, MemorySegment src, float[] dst, int dstOff, int count) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, F32, 0, dst, dstOff, count);
            case F16 -> {
                short[] bits = halves(src, count);
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = Float.float16ToFloat(bits[i]);
                }
            }
            case BF16 -> {
                short[] bits = halves(src, count);
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = Float.intBitsToFloat(bits[i] << 16);
                }
            }
            default -> throw new IllegalArgumentException("Iris does not read " + type + " tensors; it reads "
                    + GgmlType.readableTypes());
        }
    }

    /** {@code count} 16-bit values copied out in one go (the loops above then run on an array, which the JIT vectorises). */
    private static short[] halves(MemorySegment src, int count) {
        short[] bits = new short[count];
        MemorySegment.copy(src, U16, 0, bits, 0, count);
        return bits;
    }

    /** One block's values into {@code y} from {@code at}. */
    @FunctionalInterface
    private interface BlockDecoder {
        void decode(MemorySegment block, float[] y, int at);
    }

    private static float f16(MemorySegment block, long offset) {
        return Float.float16ToFloat(block.get(U16, offset));
    }

    private static int u8(MemorySegment block, long offset) {
        return block.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** Q8_0, 34 bytes: scale d (F16), 32 signed codes; x = q·d. */
    private static void q8_0(MemorySegment block, float[] y, int at) {
        float d = f16(block, 0);
        for (int j = 0; j < 32; j++) {
            y[at + j] = block.get(ValueLayout.JAVA_BYTE, 2 + j) * d;
        }
    }

    /** Q4_0, 18 bytes: d (F16), 16 bytes of nibbles: value j low, value j+16 high; x = (q − 8)·d. */
    private static void q4_0(MemorySegment block, float[] y, int at) {
        float d = f16(block, 0);
        for (int j = 0; j < 16; j++) {
            int q = u8(block, 2 + j);
            y[at + j] = d * ((q & 0xF) - 8);
            y[at + j + 16] = d * ((q >> 4) - 8);
        }
    }

    /** Q4_1, 20 bytes: d and minimum m (F16), nibbles as Q4_0; x = q·d + m. */
    private static void q4_1(MemorySegment block, float[] y, int at) {
        float d = f16(block, 0);
        float m = f16(block, 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(block, 4 + j);
            y[at + j] = d * (q & 0xF) + m;
            y[at + j + 16] = d * (q >> 4) + m;
        }
    }

    /**
     * Sub-block {@code j}'s 6-bit scale and minimum from the 12 packed bytes at {@code at} (Q4_K,
     * Q5_K): for j < 4 the low six bits of bytes j and j+4; above, a nibble of byte j+4 and the top
     * two bits of bytes j−4 and j.
     */
    private static int scale(MemorySegment block, int at, int j) {
        return j < 4 ? u8(block, at + j) & 63
                : (u8(block, at + j + 4) & 0xF) | ((u8(block, at + j - 4) >> 6) << 4);
    }

    private static int min(MemorySegment block, int at, int j) {
        return j < 4 ? u8(block, at + j + 4) & 63
                : (u8(block, at + j + 4) >> 4) | ((u8(block, at + j) >> 6) << 4);
    }

    /**
     * Q4_K, 144 bytes for 256 values: d, dmin (F16), 12 bytes of eight 6-bit scales and minimums,
     * 128 bytes of nibbles; 32 bytes hold sub-blocks 2c (low nibbles) and 2c+1 (high).
     * x = (d·scale)·q − dmin·min.
     */
    private static void q4_k(MemorySegment block, float[] y, int at) {
        kQuant(block, y, at, 16, -1);
    }

    /** Q5_K, 176 bytes: as Q4_K with a fifth bit per value, bit s of byte l of the 32 high-bit bytes. */
    private static void q5_k(MemorySegment block, float[] y, int at) {
        kQuant(block, y, at, 48, 16);
    }

    /** Q4_K and Q5_K: nibbles from byte {@code codesAt}, the fifth bits from {@code highBitsAt} (Q5_K) or none (−1). */
    private static void kQuant(MemorySegment block, float[] y, int at, int codesAt, int highBitsAt) {
        float d = f16(block, 0);
        float dmin = f16(block, 2);
        for (int s = 0; s < 8; s++) {
            float ds = d * scale(block, 4, s);
            float dm = dmin * min(block, 4, s);
            int shift = 4 * (s & 1);
            for (int l = 0; l < 32; l++) {
                int q = (u8(block, codesAt + 32 * (s >> 1) + l) >> shift) & 0xF;
                if (highBitsAt >= 0) {
                    q |= ((u8(block, highBitsAt + l) >> s) & 1) << 4;
                }
                y[at + 32 * s + l] = ds * q - dm;
            }
        }
    }

    /**
     * Q6_K, 210 bytes for 256 values: 128 bytes of low nibbles, 64 bytes of 2-bit high parts,
     * sixteen signed 8-bit scales (one per 16 values), then d (F16). Value i of half h = i / 128:
     * low nibble of byte h·64 + i % 64 (high nibble from the second 64 of the half), high bits
     * 2·t of byte h·32 + i % 32 with t = (i % 128) / 32; x = (d·scale)·(q − 32).
     */
    private static void q6_k(MemorySegment block, float[] y, int at) {
        float d = f16(block, 208);
        for (int i = 0; i < 256; i++) {
            int h = i / 128;
            int r = i % 128;
            int low = (u8(block, h * 64 + r % 64) >> (4 * (r / 64))) & 0xF;
            int high = (u8(block, 128 + h * 32 + r % 32) >> (2 * (r / 32))) & 3;
            float ds = d * block.get(ValueLayout.JAVA_BYTE, 192 + i / 16);
            y[at + i] = ds * ((low | high << 4) - 32);
        }
    }
}
