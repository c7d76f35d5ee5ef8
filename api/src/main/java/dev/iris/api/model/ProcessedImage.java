package dev.iris.api.model;

import dev.iris.api.tensor.Shape;

/**
 * One image after a family's {@link ImageProcessor}: the pixel values the vision tower takes and
 * how many positions the image occupies in the language model's token stream.
 *
 * <p>Families return their own implementation carrying what else their model needs (Qwen2-VL's
 * {@code grid_thw}, LLaVA-NeXT's original size, Mllama's tile count and aspect-ratio id) and read
 * it back in {@link VisionLanguageModel#encodeImage}. The runtime uses only this interface.
 */
public interface ProcessedImage {

    /** The pixel values, row-major in {@link #pixelShape()}, exactly as the reference model receives them. */
    float[] pixelValues();

    /** The shape of {@link #pixelValues()}, e.g. Qwen2-VL's {@code [patches, 1176]}. */
    Shape pixelShape();

    /**
     * Positions this image takes in the prompt after placeholder expansion (e.g. the number of
     * {@code <|image_pad|>} tokens); 1 for families that attend to images through cross-attention.
     */
    int promptTokens();
}
