package dev.iris.api.tensor;

import dev.iris.api.quant.GgmlType;

/**
 * Element types of tensors, with the names safetensors uses for them.
 *
 * <p>Activations are always {@link #F32}; weights may be {@link #F32}, {@link #F16} or
 * {@link #BF16}, or one of llama.cpp's block-quantized types (from a GGUF file or quantized at
 * load), whose bytes are whole blocks along each row ({@link #bytes}); the integer and boolean
 * types occur only in non-weight tensors.
 */
public enum DType {
    F32("F32", 4, GgmlType.F32),
    F16("F16", 2, GgmlType.F16),
    BF16("BF16", 2, GgmlType.BF16),
    I64("I64", 8, null),
    I32("I32", 4, null),
    U8("U8", 1, null),
    BOOL("BOOL", 1, null),
    Q8_0(null, 0, GgmlType.Q8_0),
    Q4_0(null, 0, GgmlType.Q4_0),
    Q4_1(null, 0, GgmlType.Q4_1),
    Q4_K(null, 0, GgmlType.Q4_K),
    Q5_K(null, 0, GgmlType.Q5_K),
    Q6_K(null, 0, GgmlType.Q6_K);

    private final String safetensorsName;
    private final int byteSize;
    private final GgmlType ggml;

    DType(String safetensorsName, int byteSize, GgmlType ggml) {
        this.safetensorsName = safetensorsName;
        this.byteSize = byteSize;
        this.ggml = ggml;
    }

    /**
     * Bytes per element.
     *
     * @throws UnsupportedOperationException for a block-quantized type (use {@link #bytes})
     */
    public int byteSize() {
        if (quantized()) {
            throw new UnsupportedOperationException(this + " stores blocks, not elements: use bytes(elements)");
        }
        return byteSize;
    }

    /** Bytes of {@code elements} values (for a quantized type, whole blocks). */
    public long bytes(long elements) {
        return quantized() ? ggml.bytes(elements) : elements * byteSize;
    }

    /** True for llama.cpp's block-quantized types. */
    public boolean quantized() {
        return ggml != null && ggml.quantized();
    }

    /** The same type in GGML's numbering, or null for the types GGUF weights do not use. */
    public GgmlType ggml() {
        return ggml;
    }

    /** The dtype of a GGML tensor type, or null when Iris has none for it. */
    public static DType of(GgmlType type) {
        for (DType t : values()) {
            if (t.ggml == type) {
                return t;
            }
        }
        return null;
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
            if (name.equals(t.safetensorsName)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported safetensors dtype '" + name + "'");
    }
}
