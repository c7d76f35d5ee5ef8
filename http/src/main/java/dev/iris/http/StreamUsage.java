package dev.iris.http;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * vLLM's {@code stream_options.continuous_usage_stats} (with {@code include_usage}): every chunk
 * of a choice carries the usage so far — the prompt's tokens, images expanded, and the tokens
 * that choice has generated — not only the final usage chunk.
 */
final class StreamUsage {

    private final boolean on;
    private final int[] generated;

    /** @param streamOptions the request's {@code stream_options}, or null */
    StreamUsage(ObjectNode streamOptions, boolean includeUsage, int choices) {
        this.on = includeUsage && streamOptions != null && Json.bool(streamOptions, "continuous_usage_stats", false);
        this.generated = new int[choices];
    }

    /** Counts an event's tokens, whether or not a chunk is sent for it. */
    void count(Generations.Event e) {
        if (e.tokens() != null) {
            generated[e.choice()] += e.tokens().size();
        }
    }

    /** When asked for, puts the usage of the event's choice so far in its chunk. */
    void attach(ObjectNode chunk, Generations.Event e) {
        if (on) {
            int completion = e.finished() && e.result() != null ? e.result().tokens().size() : generated[e.choice()];
            ObjectNode u = chunk.putObject("usage");
            u.put("prompt_tokens", e.promptTokens());
            u.put("total_tokens", e.promptTokens() + completion);
            u.put("completion_tokens", completion);
        }
    }
}
