package dev.iris.api.compute;

/**
 * How the rotated dimensions of a head are paired.
 *
 * <p>For a rotated width {@code r}, pair {@code i} (of {@code r/2}) is rotated by the angle whose
 * cosine and sine are in column {@code i} of the cos/sin tables.
 */
public enum RotaryLayout {
    /** Pair {@code (x[i], x[i + r/2])}: Hugging Face's {@code rotate_half} (Llama, Qwen2, Mllama, Qwen2-VL). */
    HALF,
    /** Pair {@code (x[2i], x[2i + 1])}: the original GPT-J / Meta interleaved form. */
    INTERLEAVED
}
