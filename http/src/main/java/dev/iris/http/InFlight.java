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

    /** Refuses new work and ends what runs with {@code reason}; waits up to {@code grace} for the handlers. */
    void shutdown(String reason, Duration grace) {
        closing = reason;
        for (Generations g : Set.copyOf(active)) {
            g.abort(reason);
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (!active.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
