package dev.iris.http;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The generations the server's handlers are running, so a shutdown can end them cleanly (new
 * requests are refused with 503, running ones get an error — streams in-band, then
 * {@code [DONE]} — before the port closes), and the latencies of those that finished.
 */
final class InFlight {

    /** How long aborted handlers get to write their error before the port closes. */
    private static final Duration ABORT_NOTICE = Duration.ofSeconds(2);

    private final Set<Generations> active = ConcurrentHashMap.newKeySet();
    private final RequestMetrics metrics = new RequestMetrics();
    private volatile String closing;

    /** Latencies of the generations that finished. */
    RequestMetrics metrics() {
        return metrics;
    }

    void add(Generations g) {
        if (closing != null) {
            throw new ApiError(503, closing, null);
        }
        active.add(g);
    }

    void remove(Generations g) {
        active.remove(g);
    }

    /** Generations running now. */
    int size() {
        return active.size();
    }

    /**
     * Refuses new work at once, lets what runs finish for up to {@code grace}, then ends what is
     * left with {@code reason} and gives its handlers a moment to say so.
     */
    void shutdown(String reason, Duration grace) {
        closing = reason;
        if (awaitIdle(grace)) {
            return;
        }
        for (Generations g : Set.copyOf(active)) {
            g.abort(reason);
        }
        awaitIdle(ABORT_NOTICE);
    }

    private boolean awaitIdle(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!active.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return active.isEmpty();
    }
}
