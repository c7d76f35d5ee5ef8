package dev.iris.api.sampling;

import java.util.List;

/**
 * The token a sampler chose, with log-probabilities as SGLang reports them: for greedy requests
 * the log-softmax of the penalised logits; for sampled ones the log of softmax(logits /
 * temperature) renormalised over the top-p nucleus (top-k and min-p not reflected). Tokens
 * outside the nucleus get the most negative finite float rather than −∞.
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
