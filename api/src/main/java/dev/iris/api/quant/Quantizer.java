package dev.iris.api.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * F32 values to Q8_0 and Q4_0 blocks with llama.cpp's reference rounding ({@code
 * quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref}; gguf-py's {@code quants.py}), so a
 * checkpoint quantized at load gives the bytes {@code llama-quantize}'s reference path would.
 */
public final class Quantizer {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Quantizer() {
    }

    /**
     * Writes {@code count} values of {@code x} from {@code xOff} (whole blocks of 32) as {@code type}
     * blocks from the start of {@code dst}.
     *
     * @throws IllegalArgumentException for a type other than Q8_0 and Q4_0
     */
    public static void quantize(GgmlType type, float[] x, int xOff, int count, MemorySegment dst) {
        long blocks = type.bytes(count) / type.blockBytes();
        for (int b = 0; b < blocks; b++) {
            switch (type) {
                case Q8_0 -> q8_0(x, xOff + 32 * b, dst.asSlice(34L * b, 34));
                case Q4_0 -> q4_0(x, xOff + 32 * b, dst.asSlice(18L * b, 18));
                default -> throw new IllegalArgumentException("Iris quantizes to Q8_0 and Q4_0, not " + type);
            }
        }
    }

    /** Q8_0: d = max|x| / 127, codes round(x / d) half away from zero. */
    private static void q8_0(float[] x, int at, MemorySegment block) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[at + j]));
        }
        float d = amax / 127;
        float id = d == 0 ? 0 : 1 / d;
        block.set(U16, 0, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) {
            block.set(ValueLayout.JAVA_BYTE, 2 + j, (byte) roundHalfAway(x[at + j] * id));
        }
    }

    /**
     * Q4_0: the value of largest magnitude (the first, on a tie) gives d = max / −8, so it maps to
     * code 0 exactly; codes min(15, trunc(x / d + 8.5)).
     */
    private static void q4_0(float[] x, int at, MemorySegment block) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; j++) {
            if (Math.abs(x[at + j]) > amax) {
                amax = Math.abs(x[at + j]);
                max = x[at + j];
            }
        }
        float d = max / -8;
        float id = d == 0 ? 0 : 1 / d;
        block.set(U16, 0, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) (x[at + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[at + j + 16] * id + 8.5f));
            block.set(ValueLayout.JAVA_BYTE, 2 + j, (byte) (lo | hi << 4));
        }
    }

    /** Rounds half away from zero, as C's roundf (exact for the |v| ≤ 127 Q8_0 needs). */
    private static int roundHalfAway(float v) {
        float a = Math.abs(v);
        float floored = (float) Math.floor(a);
        float r = floored + (float) Math.floor(2 * (a - floored));
        return (int) Math.signum(v) * (int) r;
    }
}
