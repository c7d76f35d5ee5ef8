package dev.iris.api.sampling;

import java.util.List;

/**
 * The token a sampler chose, with log-probabilities from the distribution after temperature and
 * penalties but before truncation (top-k/top-p/min-p), as SGLang reports them.
 *
 * @param tokenId     the chosen token
 * @param logprob     its log-probability (≤ 0)
 * @param topLogprobs the most likely alternatives, most likely first (as many as asked for)
 */
public record SampledToken(int tokenId, float logprob, List<TokenLogprob> topLogprobs) {

    public SampledToken {
        topLogprobs = List.copyOf(topLogprobs);
    }

    /** A token and its log-probability. */
    public record TokenLogprob(int tokenId, float logprob) {
    }
}
