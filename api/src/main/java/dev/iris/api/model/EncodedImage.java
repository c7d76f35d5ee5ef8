package dev.iris.api.model;

import dev.iris.api.tensor.Tensor;

/**
 * The vision tower's output for one image: {@code [rows, dim]} on the model's compute backend.
 * For spliced families (Qwen2-VL, LLaVA) the rows replace the image's placeholder embeddings,
 * one per prompt position; for Mllama they are the cross-attention states of the image's tiles.
 * Cacheable across requests by image content.
 *
 * @param features the feature rows
 */
public record EncodedImage(Tensor features) {

    /** Number of feature rows. */
    public int rows() {
        return features.shape().dim(0);
    }
}
