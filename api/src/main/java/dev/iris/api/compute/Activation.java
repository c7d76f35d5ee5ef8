package dev.iris.api.compute;

/** The elementwise non-linearities the supported model families use. */
public enum Activation {
    /** {@code x * sigmoid(x)} (Llama, Qwen2, Mistral MLPs). */
    SILU,
    /** Exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))} (CLIP, Mllama vision, Qwen2-VL merger). */
    GELU_ERF,
    /** GELU with the tanh approximation ({@code gelu_pytorch_tanh}: SigLIP). */
    GELU_TANH,
    /** {@code x * sigmoid(1.702 x)} (Qwen2-VL vision blocks, CLIP-L/14-336 in the original OpenAI weights). */
    QUICK_GELU,
    /** Hyperbolic tangent (Mllama's gates). */
    TANH
}
