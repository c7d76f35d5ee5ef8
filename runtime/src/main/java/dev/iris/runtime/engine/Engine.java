package dev.iris.runtime.engine;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.ModelSpec;
import dev.iris.api.model.Positions;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.SequenceInput;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.api.sampling.SampledToken;
import dev.iris.api.sampling.Sampler;
import dev.iris.api.tensor.Tensor;
import dev.iris.runtime.kv.ImageKeys;
import dev.iris.runtime.kv.KvPagePool;
import dev.iris.runtime.kv.PrefixCache;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.stop.StopMatcher;
import dev.iris.runtime.text.IncrementalDetokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.SubmissionPublisher;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The offline engine (SGLang's {@code sgl.Engine} counterpart): one model, its K/V page pool, a
 * prefix cache and a sampler, driven by one engine thread that batches continuously. Every step
 * runs one forward over all running requests: a decode token for each request that is
 * generating, and prompt chunks (at most {@code chunkedPrefillSize} prompt tokens per step) for
 * the ones still prefilling, so one pass over the weights serves them all. Callers never block
 * the engine thread: they get a future, a {@link Flow.Publisher} of tokens, or block on their own.
 *
 * <p>Admission is first come, first served, and reserves a request's pages for its prompt and
 * its {@code max_new_tokens} up front, so a running request never runs out of pages: a request
 * that does not fit waits (after least recently used cached prefixes were evicted) until others
 * finish.
 */
public final class Engine implements AutoCloseable {

    private final VisionLanguageModel model;
    private final ComputeBackend compute;
    private final Sampler sampler;
    private final Function<int[], String> detokenize;
    private final EngineOptions options;
    private final KvPagePool pool;
    private final PrefixCache prefixCache;
    private final ImageKeys imageKeys = new ImageKeys();
    private final KvCache cache;
    private final LinkedBlockingDeque<Sequence> waiting = new LinkedBlockingDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    private final Thread loop;
    private volatile boolean closed;

    /**
     * @param detokenize decodes token ids to text (skipping special tokens as the request wants);
     *                   text comes out empty when null (ids-only use)
     */
    public Engine(VisionLanguageModel model, ComputeBackend compute, AttentionBackend attention, Sampler sampler,
                  EngineOptions options, Function<int[], String> detokenize) {
        this.model = model;
        this.compute = compute;
        this.sampler = sampler;
        this.detokenize = detokenize;
        this.options = options;
        ModelSpec spec = model.spec();
        long bytesPerToken = 2L * spec.layers() * spec.kvHeads() * spec.headDim() * Float.BYTES;
        Runtime rt = Runtime.getRuntime();
        long freeHeap = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        int pages = KvPagePool.pagesFor(options.pageSize(), bytesPerToken, options.maxTotalTokens(), options.memFraction(),
                freeHeap);
        this.pool = new KvPagePool(options.pageSize(), pages);
        this.prefixCache = options.prefixCache() ? new PrefixCache(pool) : null;
        this.cache = attention.createCache(new KvCacheSpec(spec.layers(), spec.kvHeads(), spec.headDim(),
                options.pageSize(), pages));
        this.loop = Thread.ofPlatform().name("iris-engine").daemon().start(this::schedule);
    }

    /** The K/V page pool (for metrics and tests: pages held by requests return to zero when they end). */
    public KvPagePool pages() {
        return pool;
    }

    /** Pages the prefix cache holds (evictable), 0 when it is off. */
    public int cachedPages() {
        return prefixCache == null ? 0 : prefixCache.cachedPages();
    }

    // ---- API ---------------------------------------------------------------------------------

    /** Runs a request; the future completes with its result or fails with the reason. */
    public CompletableFuture<GenerationResult> generateAsync(GenerationRequest request) {
        return submit(request, token -> { });
    }

    /** Runs a request and waits for it. */
    public GenerationResult generate(GenerationRequest request) {
        return join(generateAsync(request));
    }

    /** Runs requests together and waits for all. */
    public List<GenerationResult> generate(List<GenerationRequest> requests) {
        return requests.stream().map(this::generateAsync).toList().stream().map(Engine::join).toList();
    }

    /**
     * Streams a request's tokens: generation starts when a subscriber arrives; the publisher
     * completes after the last token, or fails with the reason. Its buffer holds every token a
     * request can produce, so a slow subscriber never holds up the engine thread.
     */
    public Flow.Publisher<TokenEvent> stream(GenerationRequest request) {
        return subscriber -> {
            SubmissionPublisher<TokenEvent> publisher = new SubmissionPublisher<>(Runnable::run,
                    Math.max(Flow.defaultBufferSize(), request.stop().maxNewTokens() + 2));
            publisher.subscribe(subscriber);
            submit(request, publisher::submit).whenComplete((result, error) -> {
                if (error == null) {
                    publisher.close();
                } else {
                    publisher.closeExceptionally(error instanceof CompletionException c ? c.getCause() : error);
                }
            });
        };
    }

    private CompletableFuture<GenerationResult> submit(GenerationRequest request, Consumer<TokenEvent> sink) {
        Sequence s = new Sequence(request, sink);
        if (closed) {
            s.future.completeExceptionally(new IllegalStateException("the engine is closed"));
        } else {
            waiting.add(s);
        }
        return s.future;
    }

    private static GenerationResult join(CompletableFuture<GenerationResult> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    // ---- the scheduler, on the engine thread ---------------------------------------------------

    private void schedule() {
        while (!closed) {
            try {
                if (running.isEmpty()) {
                    waiting.addFirst(waiting.take()); // idle: sleep until a request arrives
                }
                admit();
                if (!running.isEmpty()) {
                    step();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // A failed forward pass fails the requests in it; the engine goes on with the others.
                for (Sequence s : List.copyOf(running)) {
                    fail(s, e);
                }
            }
        }
    }

    /** Moves waiting requests into the running set while they fit, oldest first. */
    private void admit() {
        while (!waiting.isEmpty() && running.size() < options.maxRunningRequests()) {
            Sequence s = waiting.peekFirst();
            if (s.future.isDone()) {
                waiting.pollFirst(); // cancelled while waiting
                continue;
            }
            boolean admitted;
            try {
                admitted = start(s);
            } catch (RuntimeException e) {
                waiting.pollFirst();
                fail(s, e);
                continue;
            }
            if (s.future.isDone()) {
                waiting.pollFirst(); // nothing to generate (max_new_tokens 0)
                continue;
            }
            if (!admitted) {
                return; // no room yet: it waits for running requests to finish
            }
            waiting.pollFirst();
            running.add(s);
        }
    }

    /**
     * Prepares a request and reserves its pages; false (and nothing held) when the pool is too full
     * or there is nothing to generate (then the result is complete).
     */
    private boolean start(Sequence s) {
        GenerationRequest request = s.request;
        if (s.prompt == null) {
            s.prompt = model.preparePrompt(request.inputIds(), request.images());
            s.ids = s.prompt.tokenIds();
            int context = model.spec().contextLength();
            if (s.ids.length >= context) {
                throw new IllegalArgumentException("The input (" + s.ids.length + " tokens) is longer than the"
                        + " model's context length (" + context + " tokens).");
            }
            StopConditions given = request.stop();
            s.stop = new StopMatcher(new StopConditions(given.stopStrings(), given.stopTokenIds(), given.eosTokenIds(),
                    given.ignoreEos(), given.keepStopString(), given.maxNewTokens(), given.minNewTokens(),
                    Math.min(given.contextRoom(), context - s.ids.length)));
            s.text = detokenize == null ? null : new IncrementalDetokenizer(detokenize);
            s.keys = cacheKeys(s.ids, s.prompt, request);
        }
        if (request.stop().maxNewTokens() == 0) {
            s.finished = true;
            s.future.complete(new GenerationResult(s.ids.length, 0, s.out, "", StopMatcher.FinishReason.LENGTH, null));
            return false;
        }
        int needed = s.ids.length + Math.min(request.stop().maxNewTokens(), model.spec().contextLength() - s.ids.length);
        if (pool.pagesFor(needed) > pool.capacity()) {
            throw new IllegalArgumentException("the request needs " + needed + " tokens of K/V, more than the pool's "
                    + pool.tokenCapacity());
        }
        s.match = prefixCache == null ? null : prefixCache.lookup(s.keys, s.ids.length - 1);
        s.cachedTokens = s.match == null ? 0 : s.match.tokens(pool.pageSize());
        s.computed = s.cachedTokens;
        s.table = pool.newTable();
        if (s.match != null) {
            s.table.borrow(s.match.pages());
        }
        if (!s.table.ensureCapacity(needed) && prefixCache != null) {
            prefixCache.evict(pool.pagesFor(needed) - s.table.size() - pool.freePages());
        }
        if (s.table.size() * pool.pageSize() < needed && !s.table.ensureCapacity(needed)) {
            release(s);
            return false;
        }
        return true;
    }

    /** One forward over every running request: prompt chunks and decode tokens together. */
    private void step() {
        for (Iterator<Sequence> it = running.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.future.isCancelled()) {
                release(s); // the caller gave up: its pages go back at once
                it.remove();
            }
        }
        List<Sequence> batch = new ArrayList<>();
        List<SequenceInput> inputs = new ArrayList<>();
        int budget = options.chunkedPrefillSize() > 0 ? options.chunkedPrefillSize() : Integer.MAX_VALUE;
        int row = 0;
        for (Sequence s : running) {
            SequenceInput in;
            if (s.prefilling()) {
                int n = Math.min(s.ids.length - s.computed, budget);
                if (n <= 0) {
                    continue; // the step's prompt budget is spent; this prompt goes on next step
                }
                budget -= n;
                int from = s.computed;
                int to = from + n;
                in = new SequenceInput(Arrays.copyOfRange(s.ids, from, to), s.prompt.positions().slice(from, to),
                        AttentionSequence.selfOnly(row, n, from, s.table.pages()), splices(s, from, to), null,
                        to == s.ids.length);
            } else {
                int slot = s.decodeSlot();
                in = new SequenceInput(new int[]{s.out.getLast().tokenId()},
                        Positions.sequential(s.prompt.positions().axes(), slot + s.prompt.decodeOffset(), 1),
                        AttentionSequence.selfOnly(row, 1, slot, s.table.pages()), List.of(), null, true);
            }
            batch.add(s);
            inputs.add(in);
            row += in.tokenIds().length;
        }
        if (batch.isEmpty()) {
            return; // every running request was cancelled
        }
        Tensor logits = model.forward(new ForwardBatch(inputs, cache, null));
        float[] all = compute.toFloats(logits);
        int vocab = logits.shape().dim(1);
        int logitRow = 0;
        for (int i = 0; i < batch.size(); i++) {
            Sequence s = batch.get(i);
            SequenceInput in = inputs.get(i);
            if (s.prefilling()) {
                s.computed += in.tokenIds().length;
            }
            if (!in.needsLogits()) {
                continue;
            }
            float[] row0 = Arrays.copyOfRange(all, logitRow * vocab, (logitRow + 1) * vocab);
            logitRow++;
            accept(s, sampler.sample(row0, s.request.sampling(), s));
        }
        running.removeIf(s -> s.finished);
    }

    /** Takes one sampled token: stop check, text, streaming; finishes the request when it ends. */
    private void accept(Sequence s, SampledToken token) {
        s.add(token);
        StopMatcher.Step step = s.stop.accept(token.tokenId(), s.text == null ? "" : s.text.add(token.tokenId()));
        String shown = step.text();
        if (step.finished() && s.text != null && step.matchedStop() == null) {
            shown += s.text.finish(); // the rest of a character cut by the length limit
        }
        s.shown.append(shown);
        s.sink.accept(new TokenEvent(token, shown));
        if (step.finished()) {
            finish(s, step.finish(), step.matchedStop());
        }
    }

    private void finish(Sequence s, StopMatcher.FinishReason reason, Object matched) {
        if (prefixCache != null && !s.out.isEmpty()) {
            int computed = s.ids.length + s.out.size() - 1; // the last token's K/V was never computed
            long[] keys = Arrays.copyOf(s.keys, computed);
            for (int i = s.ids.length; i < computed; i++) {
                keys[i] = s.out.get(i - s.ids.length).tokenId();
            }
            int fullPages = Math.min(computed / pool.pageSize(), s.table.size());
            prefixCache.insert(keys, s.table.pages(), fullPages);
            s.table.detach(fullPages);
        }
        release(s);
        s.finished = true;
        s.future.complete(new GenerationResult(s.ids.length, s.cachedTokens, s.out, s.shown.toString(), reason, matched));
    }

    private void fail(Sequence s, Throwable e) {
        release(s);
        running.remove(s);
        s.future.completeExceptionally(e);
    }

    /** Gives back a request's own pages and unpins its cached prefix. */
    private void release(Sequence s) {
        if (s.table != null) {
            s.table.close();
        }
        if (s.match != null) {
            prefixCache.release(s.match);
            s.match = null;
        }
    }

    /** Token ids, with each image position keyed by the image's content hash and the offset in it. */
    private long[] cacheKeys(int[] ids, PreparedPrompt prompt, GenerationRequest request) {
        long[] keys = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            keys[i] = ids[i];
        }
        for (PreparedPrompt.ImageSpan span : prompt.imageSpans()) {
            byte[] hash = contentHash(request.images().get(span.image()).pixelValues());
            for (int o = 0; o < span.length(); o++) {
                keys[span.start() + o] = imageKeys.key(hash, o);
            }
        }
        return keys;
    }

    private static byte[] contentHash(float[] pixels) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(pixels.length * 4);
            b.asFloatBuffer().put(pixels);
            return sha.digest(b.array());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Image features for the prompt rows {@code [from, to)} of this step (a chunk may cut an image). */
    private List<SequenceInput.EmbeddingSplice> splices(Sequence s, int from, int to) {
        List<SequenceInput.EmbeddingSplice> splices = new ArrayList<>();
        for (PreparedPrompt.ImageSpan span : s.prompt.imageSpans()) {
            int a = Math.max(from, span.start());
            int b = Math.min(to, span.start() + span.length());
            if (a >= b) {
                continue;
            }
            EncodedImage image = model.encodeImage(s.request.images().get(span.image()));
            splices.add(new SequenceInput.EmbeddingSplice(a - from, image, a - span.start(), b - a));
        }
        return splices;
    }

    /** Stops the engine thread; requests still waiting or running fail. */
    @Override
    public void close() {
        closed = true;
        loop.interrupt();
        try {
            loop.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        IllegalStateException stopped = new IllegalStateException("the engine was closed");
        for (Sequence s : running) {
            s.future.completeExceptionally(stopped);
        }
        for (Sequence s; (s = waiting.poll()) != null; ) {
            s.future.completeExceptionally(stopped);
        }
        cache.close();
    }
}
