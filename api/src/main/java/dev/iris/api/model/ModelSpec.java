package dev.iris.api.model;

import java.util.List;

/**
 * What the runtime must know about a loaded model to schedule it.
 *
 * @param vocabSize          rows of the logits (may exceed the tokenizer's ids)
 * @param contextLength      longest sequence the model supports
 * @param layers             self-attention layers (K/V cache layers)
 * @param kvHeads            key/value heads per layer
 * @param headDim            dimensions per head
 * @param crossLayers        cross-attention layers (Mllama); 0 otherwise
 * @param imageTokenId       the placeholder token id of an image in the prompt
 * @param eosTokenIds        ids that end generation, from the checkpoint's configs
 */
public record ModelSpec(int vocabSize, int contextLength, int layers, int kvHeads, int headDim,
                        int crossLayers, int imageTokenId, List<Integer> eosTokenIds) {

    public ModelSpec {
        eosTokenIds = List.copyOf(eosTokenIds);
    }
}
