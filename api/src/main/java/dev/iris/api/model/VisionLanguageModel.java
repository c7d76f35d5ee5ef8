package dev.iris.api.model;

import dev.iris.api.tensor.Tensor;

import java.util.List;

/**
 * A loaded model of one family, bound to a compute and an attention backend. Built by
 * {@link ModelArchitecture#load}; used by the runtime's scheduler from one thread at a time.
 */
public interface VisionLanguageModel extends AutoCloseable {

    /** Sizes the runtime needs for scheduling and cache allocation. */
    ModelSpec spec();

    /** This model's image preprocessing. */
    ImageProcessor imageProcessor();

    /**
     * Expands the image placeholders of a tokenized prompt (one placeholder token per image, in
     * order) and computes every token's position.
     *
     * @throws IllegalArgumentException when the number of placeholders and images disagree
     */
    PreparedPrompt preparePrompt(int[] tokenIds, List<ProcessedImage> images);

    /**
     * Runs the vision tower (and projector) on several images at once, one result per image in
     * order. Each image's result must not depend on the others in the call: the runtime batches
     * the images of different requests together and caches each result by the image's content.
     */
    List<EncodedImage> encodeImages(List<ProcessedImage> images);

    /** Runs the vision tower (and projector) on one image. */
    default EncodedImage encodeImage(ProcessedImage image) {
        return encodeImages(List.of(image)).getFirst();
    }

    /**
     * One forward step over a mixed batch: embeds the tokens, splices image features, runs every
     * layer (writing the new tokens' K/V into the cache), and returns logits for the sequences
     * the {@link SequenceInput#logitRows()} last tokens of each sequence, in batch order:
     * {@code [logitRows, vocabSize]}.
     */
    Tensor forward(ForwardBatch batch);

    /** Releases backend tensors the model holds (not the weight files). */
    @Override
    void close();
}
