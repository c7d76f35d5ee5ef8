package dev.iris.api.sampling;

import dev.iris.api.IrisPlugin;

/**
 * Turns one row of logits into a token. Selected by name ({@code "default"} is the built-in
 * one); a sampler must honour every field of {@link SamplingParams} and be deterministic for a
 * given state and random stream.
 */
public interface Sampler extends IrisPlugin {

    /**
     * Picks the next token. The engine samples the rows of one step in parallel, so this is
     * called concurrently for different requests (never for the same one).
     *
     * @param logits one row of logits ({@code vocabSize} values); the sampler may overwrite it
     * @param params the request's sampling parameters
     * @param state  the request's tokens and random stream
     */
    SampledToken sample(float[] logits, SamplingParams params, SamplingState state);
}
