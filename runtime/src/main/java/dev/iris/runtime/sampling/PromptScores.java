package dev.iris.runtime.sampling;

import dev.iris.api.sampling.SampledToken;

/**
 * Log-probabilities of the prompt's own tokens ({@code /generate}'s {@code input_token_logprobs}):
 * the log-softmax of the raw logits at the position before each token, whatever sampler the
 * request uses — scoring is not sampling.
 */
public final class PromptScores {

    private PromptScores() {
    }

    /**
     * @param logits the logits of the position before {@code token}, {@code [vocab]}
     * @param topN   alternatives to report, most likely first
     */
    public static SampledToken score(float[] logits, int token, int topN) {
        return DefaultSampler.result(token, DefaultSampler.logSoftmax(logits, 1f), topN);
    }
}
