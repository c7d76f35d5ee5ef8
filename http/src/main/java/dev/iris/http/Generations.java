package dev.iris.http;

import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.engine.TokenEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The engine requests behind one HTTP request (one per choice and prompt), seen from the handler's
 * thread: their tokens and ends arrive on a queue the engine thread only appends to, so a slow
 * client never holds up the engine. Closing it before the end (the client went away) aborts every
 * request still running, which gives its K/V pages back at the engine's next step.
 */
final class Generations implements AutoCloseable {

    /** A token of choice {@code choice}, or its end ({@code result} or {@code error} set). */
    record Event(int choice, TokenEvent token, GenerationResult result, Throwable error) {
        boolean finished() {
            return token == null;
        }
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
    private final InFlight registry;
    private int open;
    private volatile String abortReason;

    private Generations(InFlight registry) {
        this.registry = registry;
    }

    /**
     * Submits the requests, refusing all of them with a 400 if any cannot run and with a 503 when
     * the queue is full or the server is shutting down.
     */
    static Generations start(InFlight registry, Engine engine, List<GenerationRequest> requests, int maxQueued) {
        if (engine.metrics().queuedRequests() + requests.size() > maxQueued) {
            throw new ApiError(503, "The server is overloaded: " + maxQueued + " requests are already waiting."
                    + " Retry later.", null);
        }
        Generations g = new Generations(registry);
        registry.add(g);
        try {
            long start = System.nanoTime();
            for (int i = 0; i < requests.size(); i++) {
                int choice = i;
                long[] first = new long[1]; // written and read on the engine thread only
                CompletableFuture<GenerationResult> f = engine.submit(requests.get(i), token -> {
                    if (first[0] == 0) {
                        first[0] = System.nanoTime();
                    }
                    g.events.add(new Event(choice, token, null, null));
                });
                f.whenComplete((r, e) -> {
                    if (r != null) {
                        registry.metrics().finished(start, first[0], System.nanoTime(), r.tokens().size());
                    }
                    g.events.add(new Event(choice, null, r, unwrap(e)));
                });
                g.futures.add(f);
            }
        } catch (IllegalArgumentException e) {
            g.close();
            throw ApiError.badRequest(e.getMessage(), null);
        } catch (ApiError e) {
            g.close();
            throw e;
        } catch (IllegalStateException e) {
            g.close();
            throw new ApiError(503, e.getMessage(), null);
        }
        g.open = requests.size();
        return g;
    }

    /** The next event, or null when every request has ended. */
    Event next() throws InterruptedException {
        if (open == 0) {
            return null;
        }
        Event e = events.take();
        if (e.finished()) {
            open--;
        }
        return e;
    }

    /** Waits up to {@code millis} for every request to end; true when they all have. */
    boolean awaitEnd(long millis) throws InterruptedException {
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException | CancellationException e) {
            // ended with a failure: results() reports it
        }
        return true;
    }

    /** Waits for every request; the results in request order. */
    List<GenerationResult> results() {
        List<GenerationResult> out = new ArrayList<>();
        for (CompletableFuture<GenerationResult> f : futures) {
            try {
                out.add(f.join());
            } catch (CompletionException | CancellationException e) {
                throw abortReason != null ? new ApiError(503, abortReason, null) : failure(unwrap(e));
            }
        }
        return out;
    }

    /**
     * Ends every request now with {@code reason} (server shutdown): a stream's handler sends it as
     * its in-band error, a waiting handler answers 503 with it.
     */
    void abort(String reason) {
        abortReason = reason;
        events.add(new Event(-1, null, null, new ApiError(503, reason, null)));
        close();
    }

    /** An engine failure as the client sees it. */
    static ApiError failure(Throwable e) {
        if (e instanceof ApiError a) {
            return a;
        }
        if (e instanceof IllegalArgumentException) {
            return ApiError.badRequest(e.getMessage(), null);
        }
        if (e instanceof IllegalStateException) {
            return new ApiError(503, e.getMessage(), null);
        }
        return new ApiError(500, "Generation failed: " + e, null);
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    /** Aborts whatever still runs. */
    @Override
    public void close() {
        for (CompletableFuture<GenerationResult> f : futures) {
            f.cancel(true);
        }
        registry.remove(this);
    }
}
