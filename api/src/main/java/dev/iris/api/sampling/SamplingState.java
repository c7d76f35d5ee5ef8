package dev.iris.api.sampling;

import java.util.random.RandomGenerator;

/**
 * What a sampler may read of a request besides its logits: the tokens so far (for penalties)
 * and the request's own random stream (so a seeded request is reproducible whatever else runs).
 */
public interface SamplingState {

    /** The prompt's token ids. */
    int[] promptTokens();

    /** The tokens generated so far, oldest first. */
    int[] generatedTokens();

    /** The request's random stream; seeded from {@link SamplingParams#seed()} when given. */
    RandomGenerator random();
}
