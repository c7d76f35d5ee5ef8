package dev.iris.api.quant;

import java.util.Arrays;
import java.util.List;

/**
 * The tensor element types of GGML and GGUF files, by their numeric id in the file: plain types
 * (one element per "block") and block-quantized ones, where {@link #blockElements()} consecutive
 * values of a row share one block of {@link #blockBytes()} bytes (scales and packed codes).
 * Sizes as llama.cpp's {@code ggml.c} type traits. Only the {@link #readable()} ones are decoded
 * by Iris; the others are named so an error can say what a file holds.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, false),
    Q5_1(7, 32, 24, false),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, false),
    Q3_K(11, 256, 110, false),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, false),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    MXFP4(39, 32, 17, false);

    private final int id;
    private final int blockElements;
    private final int blockBytes;
    private final boolean readable;

    GgmlType(int id, int blockElements, int blockBytes, boolean readable) {
        this.id = id;
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
        this.readable = readable;
    }

    /** The type's number in a GGUF tensor header. */
    public int id() {
        return id;
    }

    /** Values per block (1 for the plain types). */
    public int blockElements() {
        return blockElements;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Whether Iris decodes this type ({@link Dequantizer}). */
    public boolean readable() {
        return readable;
    }

    /** True for the block-quantized types (more than one value per block). */
    public boolean quantized() {
        return blockElements > 1;
    }

    /** Bytes of {@code elements} values, a whole number of blocks. */
    public long bytes(long elements) {
        if (elements % blockElements != 0) {
            throw new IllegalArgumentException(elements + " values are not whole " + name() + " blocks of "
                    + blockElements);
        }
        return elements / blockElements * blockBytes;
    }

    /** The type with this id, or null when GGML has none by that number (as far as Iris knows). */
    public static GgmlType byId(int id) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /** The types Iris decodes, for error messages. */
    public static List<GgmlType> readableTypes() {
        return Arrays.stream(values()).filter(GgmlType::readable).toList();
    }
}
