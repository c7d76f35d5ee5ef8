package dev.iris.http;

import dev.iris.api.sampling.SampledToken;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.engine.TokenEvent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * New tokens of choice {@code choice} and the text they add (which may be empty while a stop
     * string could be forming), or its end ({@code result} or {@code error} set).
     */
    record Event(int choice, String text, List<SampledToken> tokens, GenerationResult result, Throwable error,
                 int promptTokens) {
        boolean finished() {
            return tokens == null;
        }

        static Event token(int choice, TokenEvent t) {
            return new Event(choice, t.text(), List.of(t.token()), null, null, t.promptTokens());
        }

        static Event end(int choice, GenerationResult result, Throwable error) {
            return new Event(choice, null, null, result, error, result == null ? 0 : result.promptTokens());
        }
    }

    /**
     * How much of a stream may wait unread: past {@code buffer} tokens its requests pause; paused
     * for longer than {@code stall}, they are aborted and {@code onStall} runs (on the engine
     * thread: it must return at once).
     */
    record Backpressure(int buffer, java.time.Duration stall, Runnable onStall) {
        /** For answers sent whole: nothing is read until the end, so nothing pauses. */
        static final Backpressure NONE = new Backpressure(Integer.MAX_VALUE, java.time.Duration.ZERO, () -> { });
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    /** Tokens handed over by the engine and not yet taken by the handler. */
    private final java.util.concurrent.atomic.AtomicInteger unread = new java.util.concurrent.atomic.AtomicInteger();
    private final Backpressure backpressure;
    /** When the stream last became full ({@link System#nanoTime()}), 0 while it is not. */
    private volatile long fullSince;
    /** Tokens per streamed event ({@code --stream-interval}). */
    private final int interval;
    /** Per choice, the tokens not yet handed out while fewer than {@link #interval} arrived. */
    private final Map<Integer, List<Event>> pending = new HashMap<>();
    /** An end that arrived behind pending tokens: handed out right after them. */
    private Event held;
    private final List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
    private final InFlight registry;
    private int open;
    private volatile String abortReason;

    private Generations(InFlight registry, int interval, Backpressure backpressure) {
        this.registry = registry;
        this.interval = Math.max(1, interval);
        this.backpressure = backpressure;
    }

    /**
     * Submits the requests, refusing all of them with a 400 if any cannot run and with a 503 when
     * the queue is full or the server is shutting down.
     *
     * @param interval     tokens per event of a choice (its last event may have fewer)
     * @param backpressure how much may wait unread, and what happens when it waits too long
     */
    static Generations start(InFlight registry, Engine engine, List<GenerationRequest> requests, int maxQueued,
                             int interval, Backpressure backpressure) {
        if (engine.metrics().queuedRequests() + requests.size() > maxQueued) {
            throw new ApiError(503, "The server is overloaded: " + maxQueued + " requests are already waiting."
                    + " Retry later.", null);
        }
        Generations g = new Generations(registry, interval, backpressure);
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
                    g.unread.incrementAndGet();
                    g.events.add(Event.token(choice, token));
                }, g::paused);
                f.whenComplete((r, e) -> {
                    if (r != null) {
                        registry.metrics().finished(start, first[0], System.nanoTime(), r.tokens().size());
                    }
                    g.events.add(Event.end(choice, r, unwrap(e)));
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

    /**
     * Whether the reader is behind by a full buffer (asked by the engine before each step); a
     * reader behind for longer than the stall limit gets its requests aborted.
     */
    private boolean paused() {
        if (unread.get() < backpressure.buffer()) {
            fullSince = 0;
            return false;
        }
        long now = System.nanoTime();
        if (fullSince == 0) {
            fullSince = now;
        } else if (now - fullSince > backpressure.stall().toNanos()) {
            fullSince = Long.MAX_VALUE; // abort once
            close();
            backpressure.onStall().run();
        }
        return true;
    }

    /**
     * The next event, or null when every request has ended: a choice's tokens come
     * {@code interval} at a time, and what is left of them just before its end.
     */
    Event next() throws InterruptedException {
        if (held != null) {
            Event e = held;
            held = null;
            open--;
            return e;
        }
        while (open > 0) {
            Event e = events.take();
            if (e.choice() < 0) {
                return e; // aborted: no choice of it goes on
            }
            if (!e.finished()) {
                unread.decrementAndGet();
            }
            List<Event> waiting = pending.computeIfAbsent(e.choice(), c -> new ArrayList<>());
            if (e.finished()) {
                if (!waiting.isEmpty()) {
                    held = e;
                    return merge(waiting);
                }
                open--;
                return e;
            }
            waiting.add(e);
            if (waiting.size() >= interval) {
                return merge(waiting);
            }
        }
        return null;
    }

    /** One event of a choice's pending tokens, which it empties. */
    private static Event merge(List<Event> waiting) {
        if (waiting.size() == 1) {
            Event only = waiting.getFirst();
            waiting.clear();
            return only;
        }
        StringBuilder text = new StringBuilder();
        List<SampledToken> tokens = new ArrayList<>();
        for (Event e : waiting) {
            text.append(e.text());
            tokens.addAll(e.tokens());
        }
        Event first = waiting.getFirst();
        waiting.clear();
        return new Event(first.choice(), text.toString(), tokens, null, null, first.promptTokens());
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
        events.add(Event.end(-1, null, new ApiError(503, reason, null)));
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
        System.getLogger(Generations.class.getName()).log(System.Logger.Level.ERROR, "generation failed", e);
        return new ApiError(500, "Generation failed; the server log has the details.", null);
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
