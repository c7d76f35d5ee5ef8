package dev.iris.api.sampling;

import java.util.Map;

/**
 * How to pick the next token, with the OpenAI/SGLang meanings and defaults.
 *
 * @param temperature       below {@link #GREEDY_TEMPERATURE} means greedy; otherwise logits are divided by it
 * @param topP              keep the smallest set of tokens whose probability sums to at least this (1 = off)
 * @param topK              keep the k most likely tokens (-1 = off)
 * @param minP              drop tokens less likely than {@code minP × p(max)} (0 = off)
 * @param repetitionPenalty divide positive (multiply negative) logits of seen tokens by this (1 = off)
 * @param frequencyPenalty  subtract {@code count × this} from logits of generated tokens (0 = off)
 * @param presencePenalty   subtract this from logits of tokens generated at least once (0 = off)
 * @param seed              seed of the request's random stream; null for a fresh random seed
 * @param topLogprobs       alternatives to report with each token's logprob (0 = only the chosen one)
 * @param logitBias         added to the logits of these token ids before anything else (OpenAI's
 *                          {@code logit_bias}, each in [-100, 100]); empty for none
 * @param logprobs          whether the chosen token's logprob is wanted (SGLang's {@code return_logprob},
 *                          OpenAI's {@code logprobs}); without it a sampler may leave it out (NaN) rather
 *                          than normalise over the whole vocabulary
 */
public record SamplingParams(float temperature, float topP, int topK, float minP, float repetitionPenalty,
                             float frequencyPenalty, float presencePenalty, Long seed, int topLogprobs,
                             Map<Integer, Float> logitBias, boolean logprobs) {

    /** Parameters whose chosen tokens' logprobs are wanted. */
    public SamplingParams(float temperature, float topP, int topK, float minP, float repetitionPenalty,
                          float frequencyPenalty, float presencePenalty, Long seed, int topLogprobs,
                          Map<Integer, Float> logitBias) {
        this(temperature, topP, topK, minP, repetitionPenalty, frequencyPenalty, presencePenalty, seed, topLogprobs,
                logitBias, true);
    }

    /** Parameters without a logit bias. */
    public SamplingParams(float temperature, float topP, int topK, float minP, float repetitionPenalty,
                          float frequencyPenalty, float presencePenalty, Long seed, int topLogprobs) {
        this(temperature, topP, topK, minP, repetitionPenalty, frequencyPenalty, presencePenalty, seed, topLogprobs,
                Map.of());
    }

    /** SGLang's defaults: temperature 1, no truncation, no penalties. */
    public static final SamplingParams DEFAULTS = new SamplingParams(1f, 1f, -1, 0f, 1f, 0f, 0f, null, 0);

    /** Greedy decoding. */
    public static final SamplingParams GREEDY = new SamplingParams(0f, 1f, -1, 0f, 1f, 0f, 0f, null, 0);

    /** Temperatures below this mean greedy decoding (SGLang's rule). */
    public static final float GREEDY_TEMPERATURE = 1e-6f;

    /** Checks every range; the messages are SGLang's, so clients see the same 400 text. */
    public SamplingParams {
        if (!(temperature >= 0)) {
            throw new IllegalArgumentException("temperature must be non-negative, got " + temperature + ".");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP + ".");
        }
        if (topK == 0 || topK < -1) {
            throw new IllegalArgumentException("top_k must be -1 (disable), or at least 1, got " + topK + ".");
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP + ".");
        }
        if (!(repetitionPenalty > 0 && repetitionPenalty <= 2)) {
            throw new IllegalArgumentException("repetition_penalty must be in (0, 2], got " + repetitionPenalty + ".");
        }
        if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2)) {
            throw new IllegalArgumentException("frequency_penalty must be in [-2, 2], got " + frequencyPenalty + ".");
        }
        if (!(presencePenalty >= -2 && presencePenalty <= 2)) {
            throw new IllegalArgumentException("presence_penalty must be in [-2, 2], got " + presencePenalty + ".");
        }
        if (topLogprobs < 0) {
            throw new IllegalArgumentException("top_logprobs must be at least 0, got " + topLogprobs + ".");
        }
        logitBias = Map.copyOf(logitBias);
        for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
            if (!(e.getValue() >= -100 && e.getValue() <= 100)) {
                throw new IllegalArgumentException("logit_bias values must be in [-100, 100], got " + e.getValue()
                        + " for token " + e.getKey() + ".");
            }
        }
    }

    /** True when the choice is the arg-max regardless of randomness. */
    public boolean isGreedy() {
        return temperature < GREEDY_TEMPERATURE || topK == 1;
    }
}
