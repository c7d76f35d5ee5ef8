package dev.iris.runtime.engine;

import dev.iris.api.sampling.SampledToken;
import dev.iris.runtime.stop.StopMatcher;

import java.util.List;

/**
 * A finished generation.
 *
 * @param promptTokens  prompt length after image placeholders were expanded
 * @param cachedTokens  prompt tokens whose K/V came from the prefix cache
 * @param tokens        every generated token, the one that stopped it included
 * @param text          the generated text (without the matched stop string unless kept)
 * @param finishReason  why it ended
 * @param matchedStop   the stop string or token id that ended it, or null
 * @param promptLogprobs the scores of the prompt's tokens from the request's {@code logprobStartLen}
 *                       on, an entry per token; the prompt's first token, which has no position
 *                       before it, has a NaN log-probability. Empty when not asked for
 */
public record GenerationResult(int promptTokens, int cachedTokens, List<SampledToken> tokens, String text,
                               StopMatcher.FinishReason finishReason, Object matchedStop,
                               List<SampledToken> promptLogprobs) {

    /** A result without prompt scores. */
    public GenerationResult(int promptTokens, int cachedTokens, List<SampledToken> tokens, String text,
                            StopMatcher.FinishReason finishReason, Object matchedStop) {
        this(promptTokens, cachedTokens, tokens, text, finishReason, matchedStop, List.of());
    }

    public GenerationResult {
        tokens = List.copyOf(tokens);
        promptLogprobs = List.copyOf(promptLogprobs);
    }

    /** The generated token ids. */
    public int[] outputIds() {
        return tokens.stream().mapToInt(SampledToken::tokenId).toArray();
    }
}
