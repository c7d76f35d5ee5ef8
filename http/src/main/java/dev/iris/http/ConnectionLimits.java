package dev.iris.http;

import java.time.Duration;

/**
 * How long clients may take, so a silent, trickling or non-reading client cannot hold a
 * connection, a handler or a running slot for ever.
 *
 * @param keepAlive      an idle connection (no request in progress) is closed after this
 *                       ({@code --keep-alive-timeout})
 * @param headers        the request line and headers must arrive within this, or 408
 *                       ({@code --request-header-timeout})
 * @param bodyStall      the longest pause within a request body, or 408 ({@code --request-body-timeout})
 * @param streamStall    a stream whose client reads nothing for this long is aborted and its
 *                       running slot freed ({@code --stream-stall-timeout})
 * @param streamBuffer   tokens of a stream held for a slow client; when they are all unread the
 *                       request stops decoding until the client catches up
 * @param shutdownGrace  on SIGTERM, how long requests in flight may run on before they end with an
 *                       error ({@code --graceful-shutdown-timeout})
 */
public record ConnectionLimits(Duration keepAlive, Duration headers, Duration bodyStall, Duration streamStall,
                               int streamBuffer, Duration shutdownGrace) {

    /** 60 s idle, 30 s for headers and for a pause in a body, 60 s unread stream, 256 tokens, 30 s to drain. */
    public static final ConnectionLimits DEFAULTS = new ConnectionLimits(Duration.ofSeconds(60), Duration.ofSeconds(30),
            Duration.ofSeconds(30), Duration.ofSeconds(60), 256, Duration.ofSeconds(30));

    public ConnectionLimits {
        for (Duration d : new Duration[]{keepAlive, headers, bodyStall, streamStall}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("connection timeouts must be positive, got " + d.toMillis() / 1000.0 + " s");
            }
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("the shutdown grace period must not be negative");
        }
        if (streamBuffer < 1) {
            throw new IllegalArgumentException("the stream buffer must hold at least one token, got " + streamBuffer);
        }
    }

    public ConnectionLimits withKeepAlive(Duration d) {
        return new ConnectionLimits(d, headers, bodyStall, streamStall, streamBuffer, shutdownGrace);
    }

    public ConnectionLimits withHeaders(Duration d) {
        return new ConnectionLimits(keepAlive, d, bodyStall, streamStall, streamBuffer, shutdownGrace);
    }

    public ConnectionLimits withBodyStall(Duration d) {
        return new ConnectionLimits(keepAlive, headers, d, streamStall, streamBuffer, shutdownGrace);
    }

    public ConnectionLimits withStreamStall(Duration d, int bufferTokens) {
        return new ConnectionLimits(keepAlive, headers, bodyStall, d, bufferTokens, shutdownGrace);
    }

    public ConnectionLimits withShutdownGrace(Duration d) {
        return new ConnectionLimits(keepAlive, headers, bodyStall, streamStall, streamBuffer, d);
    }
}
