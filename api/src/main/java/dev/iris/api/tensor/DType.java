package dev.iris.api.tensor;

/**
 * Element types of tensors, with the names safetensors uses for them.
 *
 * <p>Activations are always {@link #F32}; weights may be {@link #F32}, {@link #F16} or
 * {@link #BF16}; the integer and boolean types occur only in non-weight tensors.
 */
public enum DType {
    F32("F32", 4),
    F16("F16", 2),
    BF16("BF16", 2),
    I64("I64", 8),
    I32("I32", 4),
    U8("U8", 1),
    BOOL("BOOL", 1);

    private final String safetensorsName;
    private final int byteSize;

    DType(String safetensorsName, int byteSize) {
        this.safetensorsName = safetensorsName;
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The dtype string of a safetensors header, e.g. {@code "BF16"}. */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** True for the floating-point types a weight matrix may be stored in. */
    public boolean isFloatingPoint() {
        return this == F32 || this == F16 || this == BF16;
    }

    /**
     * The dtype for a safetensors header string.
     *
     * @throws IllegalArgumentException naming the string when it is not a supported dtype
     */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported safetensors dtype '" + name + "'");
    }
}
