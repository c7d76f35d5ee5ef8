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
 */
public record GenerationResult(int promptTokens, int cachedTokens, List<SampledToken> tokens, String text,
                               StopMatcher.FinishReason finishReason, Object matchedStop) {

    public GenerationResult {
        tokens = List.copyOf(tokens);
    }

    /** The generated token ids. */
    public int[] outputIds() {
        return tokens.stream().mapToInt(SampledToken::tokenId).toArray();
    }
}
