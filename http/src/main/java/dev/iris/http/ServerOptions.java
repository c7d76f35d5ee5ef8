package dev.iris.http;

import dev.iris.runtime.grammar.GrammarOptions;
import dev.iris.runtime.media.MediaOptions;

/**
 * How the HTTP server listens and what it allows (SGLang's flags where it has them).
 *
 * @param host              {@code --host}
 * @param port              {@code --port}; 0 picks a free one
 * @param apiKey            {@code --api-key}: every request but {@code /health*} and preflights must
 *                          carry {@code Authorization: Bearer <key>}; null for none
 * @param enableMetrics     {@code --enable-metrics}: serve {@code /metrics}
 * @param enableCacheReport {@code --enable-cache-report}: report cached prompt tokens in usage
 * @param maxQueuedRequests requests waiting for admission at most; beyond, 503 with Retry-After
 * @param maxRequestBytes   request bodies above this are refused with 413
 * @param media             where images may come from and the limits on them
 * @param logRequests       {@code --log-requests}: log each generation request received and finished
 * @param streamInterval    {@code --stream-interval}: tokens per streamed event of a choice
 * @param toolCallParser    {@code --tool-call-parser}: {@code qwen25}, {@code mistral}, {@code llama3}, or
 *                          null to leave tool calls in the content (SGLang's default)
 * @param connections       timeouts of connections and streams, and the shutdown grace period
 * @param messages          how many messages and content parts a request may have
 * @param grammar           constrained decoding: JSON whitespace and the compiled-constraint cache
 * @param playground        serve the web playground at {@code /} ({@code --disable-playground} turns it off)
 */
public record ServerOptions(String host, int port, String apiKey, boolean enableMetrics, boolean enableCacheReport,
                            int maxQueuedRequests, long maxRequestBytes, MediaOptions media, boolean logRequests,
                            int streamInterval, String toolCallParser, ConnectionLimits connections,
                            MessageLimits messages, GrammarOptions grammar, boolean playground) {

    /**
     * 127.0.0.1:30000, no key, no metrics, 4096 queued requests, 64 MiB bodies, safe media defaults,
     * the default timeouts and message limits.
     */
    public static final ServerOptions DEFAULTS = new ServerOptions("127.0.0.1", 30000, null, false, false, 4096,
            64L << 20, MediaOptions.defaults(), false, 1, null, ConnectionLimits.DEFAULTS, MessageLimits.DEFAULTS,
            GrammarOptions.DEFAULTS, true);

    public ServerOptions {
        if (maxQueuedRequests < 1) {
            throw new IllegalArgumentException("max queued requests must be positive, got " + maxQueuedRequests);
        }
        if (toolCallParser != null) {
            ToolCallParser.named(toolCallParser); // an unknown name fails here, at start-up
        }
        if (streamInterval < 1) {
            throw new IllegalArgumentException("the stream interval must be positive, got " + streamInterval);
        }
    }

    public ServerOptions withPort(int p) {
        return new ServerOptions(host, p, apiKey, enableMetrics, enableCacheReport, maxQueuedRequests, maxRequestBytes, media, logRequests,
                streamInterval, toolCallParser, connections, messages, grammar, playground);
    }

    public ServerOptions withApiKey(String key) {
        return new ServerOptions(host, port, key, enableMetrics, enableCacheReport, maxQueuedRequests, maxRequestBytes, media, logRequests,
                streamInterval, toolCallParser, connections, messages, grammar, playground);
    }

    public ServerOptions withMetrics(boolean on) {
        return new ServerOptions(host, port, apiKey, on, enableCacheReport, maxQueuedRequests, maxRequestBytes, media, logRequests,
                streamInterval, toolCallParser, connections, messages, grammar, playground);
    }

    public ServerOptions withMedia(MediaOptions m) {
        return new ServerOptions(host, port, apiKey, enableMetrics, enableCacheReport, maxQueuedRequests, maxRequestBytes, m, logRequests,
                streamInterval, toolCallParser, connections, messages, grammar, playground);
    }

    public ServerOptions withMaxRequestBytes(long max) {
        return new ServerOptions(host, port, apiKey, enableMetrics, enableCacheReport, maxQueuedRequests, max, media, logRequests,
                streamInterval, toolCallParser, connections, messages, grammar, playground);
    }

    public ServerOptions withLogRequests(boolean on) {
        return new ServerOptions(host, port, apiKey, enableMetrics, enableCacheReport, maxQueuedRequests, maxRequestBytes,
                media, on, streamInterval, toolCallParser, connections, messages, grammar, playground);
    }

    public ServerOptions withStreamInterval(int tokens) {
        return new ServerOptions(host, port, apiKey, enableMetrics, enableCacheReport, maxQueuedRequests, maxRequestBytes,
                media, logRequests, tokens, toolCallParser, connections, messages, grammar, playground);
    }

    public ServerOptions withToolCallParser(String name) {
        return new ServerOptions(host, port, apiKey, enableMetrics, enableCacheReport, maxQueuedRequests, maxRequestBytes,
                media, logRequests, streamInterval, name, connections, messages, grammar, playground);
    }

    /** The parser {@link #toolCallParser()} names, or null. */
    ToolCallParser parser() {
        return toolCallParser == null ? null : ToolCallParser.named(toolCallParser);
    }

    public ServerOptions withMaxQueuedRequests(int max) {
        return new ServerOptions(host, port, apiKey, enableMetrics, enableCacheReport, max, maxRequestBytes, media, logRequests,
                streamInterval, toolCallParser, connections, messages, grammar, playground);
    }

    public ServerOptions withConnections(ConnectionLimits limits) {
        return new ServerOptions(host, port, apiKey, enableMetrics, enableCacheReport, maxQueuedRequests, maxRequestBytes,
                media, logRequests, streamInterval, toolCallParser, limits, messages, grammar, playground);
    }

    public ServerOptions withMessages(MessageLimits limits) {
        return new ServerOptions(host, port, apiKey, enableMetrics, enableCacheReport, maxQueuedRequests, maxRequestBytes,
                media, logRequests, streamInterval, toolCallParser, connections, limits, grammar, playground);
    }

    public ServerOptions withGrammar(GrammarOptions g) {
        return new ServerOptions(host, port, apiKey, enableMetrics, enableCacheReport, maxQueuedRequests, maxRequestBytes,
                media, logRequests, streamInterval, toolCallParser, connections, messages, g, playground);
    }

    public ServerOptions withPlayground(boolean on) {
        return new ServerOptions(host, port, apiKey, enableMetrics, enableCacheReport, maxQueuedRequests, maxRequestBytes,
                media, logRequests, streamInterval, toolCallParser, connections, messages, grammar, on);
    }

    /** How long requests in flight may finish on shutdown. */
    public java.time.Duration shutdownGrace() {
        return connections.shutdownGrace();
    }
}
