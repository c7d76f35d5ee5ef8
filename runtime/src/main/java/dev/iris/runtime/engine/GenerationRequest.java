package dev.iris.runtime.engine;

import dev.iris.api.model.ProcessedImage;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.runtime.stop.StopConditions;

import java.util.List;

/**
 * One generation: a tokenized prompt with one placeholder token per image, the preprocessed
 * images, and how to sample and when to stop.
 *
 * @param inputIds the prompt's token ids (image placeholders not yet expanded)
 * @param images   the images, in placeholder order
 * @param sampling sampling parameters
 * @param stop     stop conditions; {@code contextRoom} is recomputed from the model's context
 * @param skipSpecialTokens leave special tokens out of the text (SGLang's {@code skip_special_tokens})
 */
public record GenerationRequest(int[] inputIds, List<ProcessedImage> images, SamplingParams sampling,
                                StopConditions stop, boolean skipSpecialTokens) {

    public GenerationRequest {
        inputIds = inputIds.clone();
        images = List.copyOf(images);
        if (inputIds.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
    }

    /** A request whose text leaves special tokens out. */
    public GenerationRequest(int[] inputIds, List<ProcessedImage> images, SamplingParams sampling, StopConditions stop) {
        this(inputIds, images, sampling, stop, true);
    }

    @Override
    public int[] inputIds() {
        return inputIds.clone();
    }
}
