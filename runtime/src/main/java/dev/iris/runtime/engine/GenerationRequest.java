package dev.iris.runtime.engine;

import dev.iris.api.model.ProcessedImage;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.runtime.grammar.GrammarConstraint;
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
 * @param logprobStartLen   score the prompt's tokens from this position on (SGLang's
 *                          {@code logprob_start_len}, counted in the expanded prompt); −1 for none
 * @param constraint        the grammar the output must follow (JSON schema, regex, EBNF); null for free text
 */
public record GenerationRequest(int[] inputIds, List<ProcessedImage> images, SamplingParams sampling,
                                StopConditions stop, boolean skipSpecialTokens, int logprobStartLen,
                                GrammarConstraint constraint) {

    /** A request that does not score its prompt. */
    public GenerationRequest(int[] inputIds, List<ProcessedImage> images, SamplingParams sampling, StopConditions stop,
                             boolean skipSpecialTokens) {
        this(inputIds, images, sampling, stop, skipSpecialTokens, -1, null);
    }

    public GenerationRequest {
        inputIds = inputIds.clone();
        images = List.copyOf(images);
        if (inputIds.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (logprobStartLen < -1) {
            throw new IllegalArgumentException("logprob_start_len must be -1 or more, got " + logprobStartLen + ".");
        }
    }

    /** A request whose text leaves special tokens out. */
    public GenerationRequest(int[] inputIds, List<ProcessedImage> images, SamplingParams sampling, StopConditions stop) {
        this(inputIds, images, sampling, stop, true);
    }

    /** This request, scoring its prompt from {@code position} on (−1: not at all). */
    public GenerationRequest withLogprobStartLen(int position) {
        return new GenerationRequest(inputIds, images, sampling, stop, skipSpecialTokens, position, constraint);
    }

    /** This request, its output held to a grammar (null: free text). */
    public GenerationRequest withConstraint(GrammarConstraint grammar) {
        return new GenerationRequest(inputIds, images, sampling, stop, skipSpecialTokens, logprobStartLen, grammar);
    }

    @Override
    public int[] inputIds() {
        return inputIds.clone();
    }
}
