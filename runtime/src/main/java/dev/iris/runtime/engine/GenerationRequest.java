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
 */
public record GenerationRequest(int[] inputIds, List<ProcessedImage> images, SamplingParams sampling,
                                StopConditions stop) {

    public GenerationRequest {
        inputIds = inputIds.clone();
        images = List.copyOf(images);
        if (inputIds.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
    }

    @Override
    public int[] inputIds() {
        return inputIds.clone();
    }
}
