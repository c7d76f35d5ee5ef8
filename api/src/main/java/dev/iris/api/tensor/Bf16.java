package dev.iris.api.tensor;

/** bfloat16 conversions (the upper 16 bits of an IEEE float), as checkpoints store it. */
public final class Bf16 {

    private Bf16() {
    }

    /** Exact widening. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Rounds to nearest, ties to even, as PyTorch does; NaN stays NaN. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
