package dev.iris.runtime.engine;

import dev.iris.api.sampling.SampledToken;

/**
 * One generated token as it streams out.
 *
 * @param token the sampled token and its log-probabilities
 * @param text         the text it makes final (may be empty: part of a character, or held back as
 *                     a possible start of a stop string)
 * @param promptTokens the request's prompt length, images expanded (for usage reported as it streams)
 */
public record TokenEvent(SampledToken token, String text, int promptTokens) {
}
