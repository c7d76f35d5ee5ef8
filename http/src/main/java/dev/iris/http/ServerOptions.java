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
        return copy(c -> c.port = p);
    }

    public ServerOptions withApiKey(String key) {
        return copy(c -> c.apiKey = key);
    }

    public ServerOptions withMetrics(boolean on) {
        return copy(c -> c.enableMetrics = on);
    }

    public ServerOptions withMedia(MediaOptions m) {
        return copy(c -> c.media = m);
    }

    public ServerOptions withMaxRequestBytes(long max) {
        return copy(c -> c.maxRequestBytes = max);
    }

    public ServerOptions withLogRequests(boolean on) {
        return copy(c -> c.logRequests = on);
    }

    public ServerOptions withStreamInterval(int tokens) {
        return copy(c -> c.streamInterval = tokens);
    }

    public ServerOptions withToolCallParser(String name) {
        return copy(c -> c.toolCallParser = name);
    }

    /** The parser {@link #toolCallParser()} names, or null. */
    ToolCallParser parser() {
        return toolCallParser == null ? null : ToolCallParser.named(toolCallParser);
    }

    public ServerOptions withMaxQueuedRequests(int max) {
        return copy(c -> c.maxQueuedRequests = max);
    }

    public ServerOptions withConnections(ConnectionLimits limits) {
        return copy(c -> c.connections = limits);
    }

    public ServerOptions withMessages(MessageLimits limits) {
        return copy(c -> c.messages = limits);
    }

    public ServerOptions withGrammar(GrammarOptions g) {
        return copy(c -> c.grammar = g);
    }

    public ServerOptions withPlayground(boolean on) {
        return copy(c -> c.playground = on);
    }

    /** How long requests in flight may finish on shutdown. */
    public java.time.Duration shutdownGrace() {
        return connections.shutdownGrace();
    }

    /** These options with one thing changed: what the withers share. */
    private ServerOptions copy(java.util.function.Consumer<Copy> change) {
        Copy c = new Copy(this);
        change.accept(c);
        return c.build();
    }

    /** The components as fields, to change some and make the record again. */
    private static final class Copy {
        String host;
        int port;
        String apiKey;
        boolean enableMetrics;
        boolean enableCacheReport;
        int maxQueuedRequests;
        long maxRequestBytes;
        MediaOptions media;
        boolean logRequests;
        int streamInterval;
        String toolCallParser;
        ConnectionLimits connections;
        MessageLimits messages;
        GrammarOptions grammar;
        boolean playground;

        Copy(ServerOptions o) {
            host = o.host;
            port = o.port;
            apiKey = o.apiKey;
            enableMetrics = o.enableMetrics;
            enableCacheReport = o.enableCacheReport;
            maxQueuedRequests = o.maxQueuedRequests;
            maxRequestBytes = o.maxRequestBytes;
            media = o.media;
            logRequests = o.logRequests;
            streamInterval = o.streamInterval;
            toolCallParser = o.toolCallParser;
            connections = o.connections;
            messages = o.messages;
            grammar = o.grammar;
            playground = o.playground;
        }

        ServerOptions build() {
            return new ServerOptions(host, port, apiKey, enableMetrics, enableCacheReport, maxQueuedRequests,
                    maxRequestBytes, media, logRequests, streamInterval, toolCallParser, connections, messages, grammar,
                    playground);
        }
    }
}
