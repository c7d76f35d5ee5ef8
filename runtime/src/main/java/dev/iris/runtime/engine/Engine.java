package dev.iris.runtime.engine;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.ModelSpec;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.SequenceInput;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.api.sampling.SampledToken;
import dev.iris.api.sampling.Sampler;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Tensor;
import dev.iris.runtime.kv.ImageKeys;
import dev.iris.runtime.kv.KvBudget;
import dev.iris.runtime.kv.KvPagePool;
import dev.iris.runtime.kv.PrefixCache;
import dev.iris.runtime.sampling.PromptScores;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.stop.StopMatcher;
import dev.iris.runtime.text.IncrementalDetokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.SubmissionPublisher;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * The offline engine (SGLang's {@code sgl.Engine} counterpart): one model, its K/V page pool, a
 * prefix cache and a sampler, driven by one engine thread that batches continuously. Every step
 * runs one forward over all running requests: a decode token for each request that is
 * generating, and prompt chunks (at most {@code chunkedPrefillSize} prompt tokens per step) for
 * the ones still prefilling, so one pass over the weights serves them all. Callers never block
 * the engine thread: they get a future, a {@link Flow.Publisher} of tokens, or block on their own.
 *
 * <p>Admission (first come first served, or longest cached prefix first) takes a waiting request
 * while the free and evictable pages cover its uncached prompt and an estimate of what it and the
 * running requests will still generate: {@code max_new_tokens} times a ratio that starts at 0.7 and
 * decays while decoding goes well, as SGLang does. Pages are taken as sequences grow. When decode
 * runs out of pages after least recently used cached prefixes were evicted, the request with the
 * fewest generated tokens is retracted: its computed pages go to the prefix cache, it waits at the
 * head of the queue, and on resuming it recomputes only what was evicted meanwhile, then goes on
 * sampling exactly where it stopped.
 */
public final class Engine implements AutoCloseable {

    private static final double INIT_NEW_TOKEN_RATIO = 0.7;
    private static final double MIN_NEW_TOKEN_RATIO = INIT_NEW_TOKEN_RATIO * 0.14;
    private static final double NEW_TOKEN_RATIO_DECAY = (INIT_NEW_TOKEN_RATIO - MIN_NEW_TOKEN_RATIO) / 600;
    /** Decode steps a retraction should buy the requests that stay. */
    private static final int RETRACT_DECODE_STEPS = 20;
    /** {@code max_new_tokens} beyond this count as this much in the admission estimate. */
    private static final int CLIP_NEW_TOKENS_ESTIMATE = 4096;
    /** How long the idle engine thread waits for a request before it looks at its commands again. */
    private static final long IDLE_POLL_MILLIS = 50;
    /** The prefix cache's default limit is two contexts' worth, and no less than this. */
    private static final int DEFAULT_MIN_CACHED_TOKENS = 16384;
    /** How long the engine waits before asking again when every running request is paused. */
    private static final long PAUSED_POLL_MILLIS = 10;
    /** Longer queues are admitted in arrival order under LPM: sorting them every step costs too much. */
    private static final int LPM_QUEUE_LIMIT = 128;
    /** {@code max_new_tokens} of a request that set none: it runs to the context (or pool) limit. */
    public static final int UNLIMITED = Integer.MAX_VALUE;

    private final VisionLanguageModel model;
    private final ComputeBackend compute;
    private final Sampler sampler;
    private final BiFunction<int[], Boolean, String> detokenize;
    private final EngineOptions options;
    private final KvBudget budget;
    /** Unpinned pages the prefix cache may keep. */
    private final int prefixCachePages;
    private final KvPagePool pool;
    private final PrefixCache prefixCache;
    private final ImageKeys imageKeys = new ImageKeys();
    private final EncodedImageCache imageCache;
    /** Splits off the generator of each request without a seed ({@code --random-seed} makes them repeatable). */
    private final SplittableRandom seeds;
    private final KvCache cache;
    /**
     * Cross-attention states (Mllama): their own pages, as many rows as the self-attention pool has
     * tokens and paid from the same memory budget; a request holds its rows for its whole life.
     * Null for families without cross-attention.
     */
    private final KvPagePool encoderPool;
    private final KvCache encoderCache;
    private final SchedulerStats stats;
    private final PrefillBudget prefill;
    /** Every request submitted and not yet ended, for failing them all from any thread ({@link #failAll}). */
    private final Set<Sequence> live = ConcurrentHashMap.newKeySet();
    /** Steps finished, part of {@link #progress()}. */
    private volatile long stepsDone;
    private final LinkedBlockingQueue<Sequence> incoming = new LinkedBlockingQueue<>();
    /** Work for the engine thread from other threads (cache flushes). */
    private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> commands = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Admitted neither yet nor any more (retracted); engine thread only. */
    private final List<Sequence> waiting = new ArrayList<>();
    private final List<Sequence> running = new ArrayList<>();
    private final Thread loop;
    private volatile boolean closed;
    /** When the step now running began ({@link System#nanoTime()}), 0 between steps. */
    private volatile long stepStarted;
    private double newTokenRatio = INIT_NEW_TOKEN_RATIO;
    /** Whether the caches gave back what they could since the last step. */
    private boolean trimmed;
    /** Cached prompt tokens of the requests admitted since the last prefill log line. */
    private int admittedCachedTokens;

    /**
     * @param detokenize decodes token ids to text (skipping special tokens as the request wants);
     *                   text comes out empty when null (ids-only use)
     */
    public Engine(VisionLanguageModel model, ComputeBackend compute, AttentionBackend attention, Sampler sampler,
                  EngineOptions options, BiFunction<int[], Boolean, String> detokenize) {
        this.model = model;
        this.compute = compute;
        this.sampler = sampler;
        this.detokenize = detokenize;
        this.options = options;
        ModelSpec spec = model.spec();
        DType kvType = kvCacheDtype(attention, options.kvCacheDtype());
        long bytesPerToken = 2L * (spec.layers() + spec.crossLayers()) * spec.kvHeads() * spec.headDim()
                * kvType.byteSize();
        long device = compute.freeDeviceMemory();
        this.budget = KvBudget.of(options.pageSize(), options.maxTotalTokens(), options.maxRunningRequests(),
                contextLength(), options.memFraction(), device >= 0 ? device : KvBudget.freeHostMemory(), bytesPerToken,
                kvType.name());
        int pages = budget.pages();
        this.pool = new KvPagePool(options.pageSize(), pages);
        this.prefixCache = options.prefixCache() ? new PrefixCache(pool) : null;
        long cachedTokens = options.prefixCacheTokens() > 0 ? options.prefixCacheTokens()
                : Math.max(2L * contextLength(), DEFAULT_MIN_CACHED_TOKENS);
        this.prefixCachePages = (int) Math.min(pages, pool.pagesFor((int) Math.min(Integer.MAX_VALUE, cachedTokens)));
        this.cache = attention.createCache(new KvCacheSpec(spec.layers(), spec.kvHeads(), spec.headDim(),
                options.pageSize(), pages, kvType));
        this.encoderPool = spec.crossLayers() > 0 ? new KvPagePool(options.pageSize(), pages) : null;
        this.encoderCache = spec.crossLayers() > 0 ? attention.createCache(new KvCacheSpec(spec.crossLayers(),
                spec.kvHeads(), spec.headDim(), options.pageSize(), pages, kvType)) : null;
        this.prefill = new PrefillBudget(options.chunkedPrefillSize() > 0 ? options.chunkedPrefillSize() : Integer.MAX_VALUE,
                options.prefillStepSeconds());
        this.stats = new SchedulerStats(options.decodeLogInterval());
        this.imageCache = new EncodedImageCache(options.imageCacheBytes());
        this.seeds = options.randomSeed() == null ? new SplittableRandom() : new SplittableRandom(options.randomSeed());
        this.loop = Thread.ofPlatform().name("iris-engine").daemon().start(this::schedule);
    }

    /** The K/V type the attention backend takes: the one asked for, or its preferred one. */
    private static DType kvCacheDtype(AttentionBackend attention, DType asked) {
        List<DType> offered = attention.cacheDtypes();
        if (asked == null) {
            return offered.getFirst();
        }
        if (!offered.contains(asked)) {
            throw new IllegalArgumentException("the " + attention.name() + " attention backend stores the K/V cache as "
                    + offered.stream().map(DType::name).toList() + ", not " + asked);
        }
        return asked;
    }

    /** How keys and values are stored. */
    public DType kvCacheDtype() {
        return cache.spec().dtype();
    }

    /** How the K/V pool was sized, as the start-up line says it. */
    public KvBudget kvBudget() {
        return budget;
    }

    /** Bytes of memory the K/V caches hold now (pages are backed as they are written). */
    public long kvResidentBytes() {
        return cache.residentBytes() + (encoderCache == null ? 0 : encoderCache.residentBytes());
    }

    /** The K/V page pool (for metrics and tests: pages held by requests return to zero when they end). */
    public KvPagePool pages() {
        return pool;
    }

    /** Pages the prefix cache holds (evictable), 0 when it is off. */
    public int cachedPages() {
        return prefixCache == null ? 0 : prefixCache.cachedPages();
    }

    /**
     * Empties the prefix cache when no request is running or waiting (SGLang's {@code /flush_cache});
     * the future tells whether it was done. Safe from any thread.
     */
    public CompletableFuture<Boolean> flushCache() {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        commands.add(() -> {
            boolean idle = running.isEmpty() && waiting.isEmpty() && incoming.isEmpty();
            if (idle) {
                if (prefixCache != null) {
                    prefixCache.evict(Integer.MAX_VALUE);
                }
                imageCache.clear();
                trimCaches();
                publishLoad();
            }
            System.getLogger(Engine.class.getName()).log(idle ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                    idle ? "Cache flushed successfully!" : "Cache not flushed because there are pending requests.");
            done.complete(idle);
        });
        return done;
    }

    /**
     * A count that grows while the engine works: steps finished and the compute backend's finished
     * work; a watchdog that sees it stand still through a step knows the step hangs. Safe from any
     * thread.
     */
    public long progress() {
        return stepsDone + Math.max(0, compute.completedWork());
    }

    /** Whether {@link #progress()} moves within a step (the backend counts its work), not only between steps. */
    public boolean progressWithinSteps() {
        return compute.completedWork() >= 0;
    }

    /**
     * Ends every request that has not ended with {@code error}, from any thread: for a watchdog
     * whose engine thread hangs, so no client is left waiting without an answer.
     *
     * @return how many were ended
     */
    public int failAll(Throwable error) {
        int n = 0;
        for (Sequence s : List.copyOf(live)) {
            n += s.future.completeExceptionally(error) ? 1 : 0;
        }
        return n;
    }

    /** How long the forward step now running has taken, 0 between steps (for a watchdog); safe from any thread. */
    public java.time.Duration currentStepDuration() {
        long started = stepStarted;
        return started == 0 ? java.time.Duration.ZERO : java.time.Duration.ofNanos(System.nanoTime() - started);
    }

    /** Load and totals now; safe from any thread. */
    public EngineMetrics metrics() {
        return stats.snapshot();
    }

    // ---- API ---------------------------------------------------------------------------------

    /** Runs a request; the future completes with its result or fails with the reason. */
    public CompletableFuture<GenerationResult> generateAsync(GenerationRequest request) {
        try {
            return submit(request, token -> { });
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
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
            CompletableFuture<GenerationResult> done;
            try {
                done = submit(request, publisher::submit);
            } catch (IllegalArgumentException e) {
                done = CompletableFuture.failedFuture(e);
            }
            done.whenComplete((result, error) -> {
                if (error == null) {
                    publisher.close();
                } else {
                    publisher.closeExceptionally(error instanceof CompletionException c ? c.getCause() : error);
                }
            });
        };
    }

    /**
     * Queues a request after checking it in the caller's thread, so a request that cannot run is
     * refused before anything is sent to its client. {@code onToken} runs on the engine thread
     * for every token: it must hand the event over and return. Cancelling the future aborts the
     * request and gives its pages back at the next step.
     *
     * @throws IllegalArgumentException when the request cannot run (too long for the context or
     *                                  the K/V pool, bad images), with a message for the client
     */
    public CompletableFuture<GenerationResult> submit(GenerationRequest request, Consumer<TokenEvent> onToken) {
        return submit(request, onToken, () -> false);
    }

    /**
     * {@link #submit(GenerationRequest, Consumer)} with back-pressure: while {@code paused} says
     * true (asked on the engine thread before each step; it must answer at once) the request takes
     * no decode step and keeps its pages, so a client that stops reading costs no compute and its
     * unread output stays bounded.
     */
    public CompletableFuture<GenerationResult> submit(GenerationRequest request, Consumer<TokenEvent> onToken,
                                                      BooleanSupplier paused) {
        Sequence s = new Sequence(request, onToken, paused, unseeded());
        prepare(s);
        if (s.maxNewTokens == 0) {
            s.finished = true;
            s.future.complete(new GenerationResult(s.ids.length, 0, s.out, "", StopMatcher.FinishReason.LENGTH, null));
        } else if (closed) {
            s.future.completeExceptionally(new IllegalStateException("the engine is closed"));
        } else {
            live.add(s);
            s.future.whenComplete((r, e) -> live.remove(s));
            incoming.add(s);
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
                for (Runnable c; (c = commands.poll()) != null; ) {
                    c.run();
                }
                if (running.isEmpty() && waiting.isEmpty()) {
                    stats.idle();
                    newTokenRatio = INIT_NEW_TOKEN_RATIO;
                    if (!trimmed) {
                        trimCaches();
                    }
                    Sequence next = incoming.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS); // idle: wait for work
                    if (next == null) {
                        continue; // look at the commands again
                    }
                    enqueue(next);
                }
                for (Sequence s; (s = incoming.poll()) != null; ) {
                    enqueue(s);
                }
                admit();
                if (!running.isEmpty()) {
                    trimmed = false;
                    stepStarted = System.nanoTime();
                    boolean stepped;
                    try {
                        stepped = step();
                    } finally {
                        stepStarted = 0;
                    }
                    if (!stepped) {
                        // Every running request waits for its reader: wait for news rather than spin.
                        Sequence next = incoming.poll(PAUSED_POLL_MILLIS, TimeUnit.MILLISECONDS);
                        if (next != null) {
                            enqueue(next);
                        }
                    }
                }
                publishLoad();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | Error e) {
                // A failed forward pass fails the requests in it; the engine goes on with the others.
                // Errors too: a step that runs out of memory must not end this thread and leave every
                // request, running or still to come, waiting for an answer that never comes.
                for (Sequence s : List.copyOf(running)) {
                    fail(s, e);
                }
            }
        }
    }

    /** Queues a submitted request for admission. */
    private void enqueue(Sequence s) {
        if (!s.future.isDone()) { // else cancelled before it was looked at
            waiting.add(s);
        }
    }

    private synchronized SplittableRandom unseeded() {
        return seeds.split();
    }

    /** Tokens the model's logits cover. */
    public int vocabSize() {
        return model.spec().vocabSize();
    }

    /** The context length prompts and outputs must fit: {@code --context-length}, else the model's. */
    public int contextLength() {
        return options.contextLength() > 0 ? options.contextLength() : model.spec().contextLength();
    }

    private void prepare(Sequence s) {
        GenerationRequest request = s.request;
        s.prompt = model.preparePrompt(request.inputIds(), request.images());
        s.ids = s.prompt.tokenIds();
        int context = contextLength();
        if (s.ids.length >= context) {
            throw new IllegalArgumentException("The input (" + s.ids.length + " tokens) is longer than the"
                    + " model's context length (" + context + " tokens).");
        }
        StopConditions given = request.stop();
        int room = context - 1 - s.ids.length; // generation stops when prompt + output reach C − 1 (§4.8.3)
        s.stop = new StopMatcher(new StopConditions(given.stopStrings(), given.stopTokenIds(), given.eosTokenIds(),
                given.ignoreEos(), given.keepStopString(), given.maxNewTokens(), given.minNewTokens(),
                Math.min(given.contextRoom(), room)));
        Set<Integer> ends = new HashSet<>(given.eosTokenIds());
        ends.addAll(given.stopTokenIds());
        s.endTokens = Set.copyOf(ends);
        if (given.maxNewTokens() != UNLIMITED && (long) s.ids.length + given.maxNewTokens() >= context) {
            throw new IllegalArgumentException("Requested token count exceeds the model's maximum context length of "
                    + context + " tokens. You requested a total of " + (s.ids.length + given.maxNewTokens())
                    + " tokens: " + s.ids.length + " tokens from the input messages and " + given.maxNewTokens()
                    + " tokens for the completion. Please reduce the number of tokens in the input messages or the"
                    + " completion to fit within the limit.");
        }
        long maxInput = pool.tokenCapacity() - 1; // one slot is left for the first generated token
        if (s.ids.length > maxInput) {
            throw new IllegalArgumentException("Input length (" + s.ids.length + " tokens) exceeds the maximum allowed"
                    + " length (" + maxInput + " tokens). Use a shorter input or enable --allow-auto-truncate.");
        }
        s.maxNewTokens = Math.min(given.maxNewTokens(), Math.min(given.contextRoom(), room));
        boolean skipSpecial = request.skipSpecialTokens();
        s.text = detokenize == null ? null : new IncrementalDetokenizer(ids -> detokenize.apply(ids, skipSpecial));
        s.digests = request.images().stream().map(ImageDigest::of).toArray(ImageDigest[]::new);
        int encoderRows = s.prompt.encoderRows();
        if (encoderRows > 0 && (encoderPool == null || encoderRows > encoderPool.tokenCapacity())) {
            throw new IllegalArgumentException("The images need " + encoderRows + " cross-attention rows; the cache"
                    + " holds " + (encoderPool == null ? 0 : encoderPool.tokenCapacity()) + ". Send fewer images or"
                    + " raise --max-total-tokens.");
        }
        s.keys = encoderRows > 0 ? crossKeys(s.ids, s.digests) : cacheKeys(s.ids, s.prompt, s.digests);
        s.images = new EncodedImageCache.Entry[s.digests.length];
        if (request.logprobStartLen() >= 0) {
            s.scoreFrom = Math.min(request.logprobStartLen(), s.ids.length);
            s.promptScores = new ArrayList<>();
            if (s.scoreFrom == 0) {
                s.promptScores.add(new SampledToken(s.ids[0], Float.NaN, List.of())); // nothing before it to score it
            }
        }
    }

    /**
     * Moves waiting requests into the running set while the pool's free and evictable pages cover
     * what they and the running requests are expected to need; with nothing running, the first
     * waiting request is always taken (it fits the pool: {@link #prepare} checked).
     */
    private void admit() {
        waiting.removeIf(s -> s.future.isDone());
        if (options.schedulePolicy() == SchedulePolicy.LPM && prefixCache != null && waiting.size() > 1
                && waiting.size() <= LPM_QUEUE_LIMIT) {
            Map<Sequence, Integer> matched = new HashMap<>();
            for (Sequence s : waiting) {
                matched.put(s, prefixCache.probe(s.keys(s.known()), s.prefixLimit()).tokens());
            }
            waiting.sort(Comparator.comparing((Sequence s) -> matched.get(s)).reversed());
        }
        long room = pool.freePages() + (prefixCache == null ? 0 : prefixCache.evictablePages());
        for (Sequence s : running) {
            room -= expectedPages(s, s.computed);
        }
        for (Iterator<Sequence> it = waiting.iterator(); it.hasNext() && running.size() < options.maxRunningRequests(); ) {
            Sequence s = it.next();
            PrefixCache.Probe hit = prefixCache == null ? new PrefixCache.Probe(0, 0)
                    : prefixCache.probe(s.keys(s.known()), s.prefixLimit());
            // Its cached pages get pinned: those nobody pinned before stop being room.
            long needed = expectedPages(s, hit.tokens()) + hit.evictablePages();
            if (!running.isEmpty() && (needed > room || !encoderRoom(s))) {
                return; // no room yet: it waits for running requests to finish, and so do the ones behind it
            }
            room -= needed;
            it.remove();
            start(s);
            running.add(s);
        }
    }

    /** Pages a request will still take: its tokens beyond {@code computed}, and its estimated output. */
    private long expectedPages(Sequence s, int computed) {
        int estimate = (int) Math.ceil(Math.min(s.remainingNewTokens(), CLIP_NEW_TOKENS_ESTIMATE) * newTokenRatio);
        return pool.pagesFor(s.known() - computed + estimate);
    }

    /** Whether a request's cross-attention rows fit now (they are held from its start to its end). */
    private boolean encoderRoom(Sequence s) {
        return s.encoderTable != null || s.prompt.encoderRows() == 0
                || encoderPool.pagesFor(s.prompt.encoderRows()) <= encoderPool.freePages();
    }

    /** Borrows a request's cached prefix; pages for the rest are taken step by step. */
    private void start(Sequence s) {
        if (s.encoderTable == null && s.prompt.encoderRows() > 0) {
            s.encoderTable = encoderPool.newTable();
            if (!s.encoderTable.ensureCapacity(s.prompt.encoderRows())) {
                throw new IllegalStateException("cross-attention pages ran out although admission checked them");
            }
        }
        s.match = prefixCache == null ? null : prefixCache.lookup(s.keys(s.known()), s.prefixLimit());
        s.computed = s.match == null ? 0 : s.match.tokens(pool.pageSize());
        s.table = pool.newTable();
        if (s.match != null) {
            s.table.borrow(s.match.pages());
        }
        if (s.cachedTokens < 0) {
            s.cachedTokens = s.computed;
            stats.admitted(s.ids.length, s.computed);
        }
        admittedCachedTokens += s.computed;
    }

    /**
     * One forward over every running request that can take a step: prompt chunks and decode tokens
     * together; false when there was none (all paused or cancelled).
     */
    private boolean step() {
        for (Iterator<Sequence> it = running.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.future.isCancelled()) {
                release(s); // the caller gave up: its pages go back at once
                dropImages(s);
                it.remove();
            }
        }
        // Rows per request this step: every decode token, and prompt rows up to the chunk budget.
        Map<Sequence, Integer> rows = new LinkedHashMap<>();
        int budget = prefill.tokens();
        for (Sequence s : running) {
            if (s.decoding() && s.paused.getAsBoolean()) {
                continue; // its reader is behind: no more tokens for it until it catches up
            }
            int n = s.known() - s.computed;
            if (!s.decoding()) {
                n = Math.min(n, budget);
                budget -= n;
            }
            if (n > 0) {
                rows.put(s, n);
            }
        }
        takePages(rows);
        if (rows.isEmpty()) {
            return false; // every running request was cancelled or is paused
        }
        List<Sequence> batch = new ArrayList<>(rows.keySet());
        encodeImages(rows);
        List<SequenceInput> inputs = new ArrayList<>();
        int row = 0;
        int prefillSeqs = 0;
        int prefillTokens = 0;
        int decodeTokens = 0;
        for (Sequence s : batch) {
            int from = s.computed;
            int to = from + rows.get(s);
            if (s.decoding()) {
                decodeTokens++;
            } else {
                prefillSeqs++;
                prefillTokens += to - from;
            }
            inputs.add(new SequenceInput(s.tokens(from, to), s.positions(from, to), attentionOf(s, row, from, to),
                    splices(s, from, to), crossInput(s, from, to), logitRows(s, from, to)));
            row += to - from;
        }
        publishLoad();
        if (prefillSeqs > 0) {
            stats.prefillBatch(prefillSeqs, prefillTokens, admittedCachedTokens);
            admittedCachedTokens = 0;
        }
        long forwardStart = System.nanoTime();
        Tensor logits = model.forward(new ForwardBatch(inputs, cache, encoderCache));
        for (Sequence s : batch) {
            s.encoderWritten |= s.encoderTable != null; // the first step wrote the images' states
        }
        float[] all = compute.toFloats(logits);
        prefill.measured(prefillTokens, System.nanoTime() - forwardStart);
        int vocab = logits.shape().dim(1);
        // The logit row each batch entry samples from, -1 when it samples nothing this step; rows
        // before it score prompt tokens.
        int[] logitRow = new int[batch.size()];
        int logitRows = 0;
        for (int i = 0; i < batch.size(); i++) {
            Sequence s = batch.get(i);
            int n = inputs.get(i).logitRows();
            int to = s.computed + inputs.get(i).tokenIds().length;
            for (int k = 0; k < n; k++) {
                scorePrompt(s, to - n + k, all, (logitRows + k) * vocab, vocab);
            }
            logitRow[i] = n > 0 && to == s.known() ? logitRows + n - 1 : -1;
            logitRows += n;
            s.computed = to;
        }
        // Each row's sampling (a log-softmax over the whole vocabulary) depends on that row and its
        // request alone, so the rows are sampled in parallel; the tokens are taken in batch order.
        SampledToken[] picked = new SampledToken[batch.size()];
        IntStream.range(0, batch.size()).parallel().filter(i -> logitRow[i] >= 0).forEach(i -> {
            Sequence s = batch.get(i);
            float[] own = Arrays.copyOfRange(all, logitRow[i] * vocab, (logitRow[i] + 1) * vocab);
            if (s.grammar != null) {
                s.grammar.mask(own, s.endTokens); // every sampling mode then sees only tokens the grammar takes
            }
            picked[i] = sampler.sample(own, s.request.sampling(), s);
        });
        for (int i = 0; i < batch.size(); i++) {
            if (picked[i] != null) {
                accept(batch.get(i), picked[i]);
            }
        }
        if (decodeTokens > 0) {
            newTokenRatio = Math.max(MIN_NEW_TOKEN_RATIO, newTokenRatio - NEW_TOKEN_RATIO_DECAY);
            stats.decodeStep(decodeTokens);
        }
        stepsDone++;
        return true;
    }

    /**
     * Gives back the memory of K/V pages no request and no cached prefix holds (the engine is
     * idle, or its prefix cache was just emptied).
     */
    private void trimCaches() {
        long freed = cache.trim(pool::isFree) + (encoderCache == null ? 0 : encoderCache.trim(encoderPool::isFree));
        if (freed > 0) {
            System.getLogger(Engine.class.getName()).log(System.Logger.Level.DEBUG, "KV cache: " + freed
                    + " bytes given back; " + kvResidentBytes() + " held.");
        }
        trimmed = true;
    }

    /** Where a request's rows of this step sit: its pages, and its cross-attention rows when it has images. */
    private static AttentionSequence attentionOf(Sequence s, int row, int from, int to) {
        if (s.encoderTable == null) {
            return AttentionSequence.selfOnly(row, to - from, from, s.table.pages());
        }
        return new AttentionSequence(row, to - from, from, s.table.pages(), s.prompt.encoderRows(),
                s.encoderTable.pages());
    }

    /**
     * What a request's cross-attention layers read this step: its images' states the first time
     * (they are written to its encoder pages then), and per row the encoder rows it may read.
     */
    private static SequenceInput.CrossAttentionInput crossInput(Sequence s, int from, int to) {
        if (s.encoderTable == null) {
            return null;
        }
        List<EncodedImage> fresh = new ArrayList<>();
        if (!s.encoderWritten) {
            for (EncodedImageCache.Entry e : s.images) {
                fresh.add(e.image);
            }
        }
        int[][] visible = new int[to - from][];
        for (int t = from; t < to; t++) {
            visible[t - from] = s.prompt.visibilityAt(t);
        }
        return new SequenceInput.CrossAttentionInput(fresh, visible);
    }

    /**
     * Logits wanted from this step's rows {@code [from, to)}: the last one when it samples the next
     * token; while the request scores its prompt, also every row from the one before the next
     * token to score (so those rows come in one trailing run).
     */
    private static int logitRows(Sequence s, int from, int to) {
        if (s.decoding()) {
            return 1;
        }
        int firstScoring = s.nextScored() - 1;
        if (firstScoring < s.ids.length - 1 && firstScoring < to) {
            return to - Math.max(from, firstScoring);
        }
        return to == s.known() ? 1 : 0;
    }

    /** Scores the prompt token after position {@code position} from that position's logits, when it is the next one due. */
    private static void scorePrompt(Sequence s, int position, float[] logits, int offset, int vocab) {
        int next = position + 1;
        if (next < s.ids.length && next == s.nextScored()) {
            s.promptScores.add(PromptScores.score(Arrays.copyOfRange(logits, offset, offset + vocab), s.ids[next],
                    s.request.sampling().topLogprobs()));
        }
    }

    /**
     * Takes the pages this step's rows need, request by request in admission order, evicting
     * cached prefixes and then retracting requests when the pool runs dry; retracted requests
     * leave {@code rows}.
     */
    private void takePages(Map<Sequence, Integer> rows) {
        int retracted = 0;
        double oldRatio = newTokenRatio;
        for (Sequence s : List.copyOf(rows.keySet())) {
            while (rows.containsKey(s) && !grow(s, s.computed + rows.get(s))) {
                Sequence victim = victim();
                if (victim == null) {
                    // Alone and the pool is full: it has used all the K/V there is, as if at the context limit.
                    rows.remove(s);
                    finish(s, StopMatcher.FinishReason.LENGTH, null);
                    break;
                }
                retract(victim);
                rows.remove(victim);
                retracted++;
            }
        }
        if (retracted > 0) {
            long generated = 0;
            long allowed = 0;
            for (Sequence s : running) {
                generated += s.out.size();
                allowed += s.maxNewTokens;
            }
            newTokenRatio = Math.min(1.0, (generated + (double) RETRACT_DECODE_STEPS * running.size())
                    / Math.max(1, allowed));
            stats.retracted(retracted, oldRatio, newTokenRatio);
        }
    }

    /** Makes room in a request's table for {@code tokens} tokens, evicting cached prefixes if need be. */
    private boolean grow(Sequence s, int tokens) {
        if (s.table.ensureCapacity(tokens)) {
            return true;
        }
        if (prefixCache == null) {
            return false;
        }
        prefixCache.evict(pool.pagesFor(tokens) - s.table.size() - pool.freePages());
        return s.table.ensureCapacity(tokens);
    }

    /** The request to retract: the one with the fewest generated tokens, the longest prompt among those. */
    private Sequence victim() {
        if (running.size() < 2) {
            return null;
        }
        return running.stream().min(Comparator.comparingInt((Sequence s) -> s.out.size())
                .thenComparing(Comparator.comparingInt((Sequence s) -> s.ids.length).reversed())).orElseThrow();
    }

    /** Takes a running request back to the head of the queue, its computed pages kept in the prefix cache. */
    private void retract(Sequence s) {
        cacheComputed(s);
        release(s);
        s.table = null;
        s.computed = 0;
        running.remove(s);
        waiting.addFirst(s);
    }

    /**
     * Hands a request's full computed pages to the prefix cache (when on) for later requests; past
     * its limit the least recently used cached prefixes go, down to nine tenths of it (so the tree
     * walk of an eviction is not paid for every request).
     */
    private void cacheComputed(Sequence s) {
        if (prefixCache == null || s.table == null) {
            return;
        }
        int fullPages = Math.min(s.computed / pool.pageSize(), s.table.size());
        prefixCache.insert(s.keys(s.computed), s.table.pages(), fullPages);
        s.table.detach(fullPages);
        int over = prefixCache.evictablePages() - prefixCachePages;
        if (over > 0) {
            prefixCache.evict(over + prefixCachePages / 10);
        }
    }

    private void publishLoad() {
        long unavailable = pool.capacity() - pool.freePages() - (prefixCache == null ? 0 : prefixCache.evictablePages());
        stats.load(running.size(), waiting.size() + incoming.size(), unavailable * pool.pageSize(), pool.tokenCapacity());
        stats.images(imageCache.encoded(), imageCache.hits(), imageCache.bytes());
    }

    /** Takes one sampled token: stop check, text, streaming; finishes the request when it ends. */
    private void accept(Sequence s, SampledToken token) {
        s.out.add(token);
        StopMatcher.Step step = s.stop.accept(token.tokenId(), s.text == null ? "" : s.text.add(token.tokenId()));
        if (s.grammar != null && s.grammar.accept(token.tokenId()) && !step.finished() && s.grammar.isClosed()) {
            // The grammar is complete and nothing may follow: it ends here, no step is spent sampling EOS.
            step = new StopMatcher.Step(step.text() + s.stop.end().text(), StopMatcher.FinishReason.STOP, null);
        }
        String shown = step.text();
        if (step.finished() && s.text != null && step.matchedStop() == null) {
            shown += s.text.finish(); // the rest of a character cut by the length limit
        }
        s.shown.append(shown);
        s.sink.accept(new TokenEvent(token, shown, s.ids.length));
        if (step.finished()) {
            finish(s, step.finish(), step.matchedStop());
        }
    }

    private void finish(Sequence s, StopMatcher.FinishReason reason, Object matched) {
        cacheComputed(s);
        release(s);
        dropImages(s);
        s.finished = true;
        running.remove(s);
        stats.finished(s.ids.length, s.cachedTokens, s.out.size());
        publishLoad(); // the gauges agree with the result when the caller sees it
        s.future.complete(new GenerationResult(s.ids.length, s.cachedTokens, s.out, s.shown.toString(), reason, matched,
                s.promptScores == null ? List.of() : s.promptScores));
    }

    private void fail(Sequence s, Throwable e) {
        release(s);
        dropImages(s);
        running.remove(s);
        waiting.remove(s);
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

    /**
     * Keys of a request whose every token reads its images through cross-attention: each token id
     * keyed together with the digest of all its images, so a cached prefix is only reused by a
     * request with the same images.
     */
    private long[] crossKeys(int[] ids, ImageDigest[] digests) {
        byte[] all = ImageDigest.combined(digests);
        long[] keys = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            keys[i] = imageKeys.tokenKey(all, ids[i]);
        }
        return keys;
    }

    /** Token ids, with each image position keyed by the image's content digest and the offset in it. */
    private long[] cacheKeys(int[] ids, PreparedPrompt prompt, ImageDigest[] digests) {
        long[] keys = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            keys[i] = ids[i];
        }
        for (PreparedPrompt.ImageSpan span : prompt.imageSpans()) {
            byte[] hash = digests[span.image()].sha256();
            for (int o = 0; o < span.length(); o++) {
                keys[span.start() + o] = imageKeys.key(hash, o);
            }
        }
        return keys;
    }

    /**
     * Makes sure every image this step's prompt rows reach has its features: held already, or
     * from the encoded-image cache, or encoded now — the missing images of all requests in one
     * vision-tower call, each distinct content once.
     */
    private void encodeImages(Map<Sequence, Integer> rows) {
        Map<ImageDigest, ProcessedImage> missing = new LinkedHashMap<>();
        List<ImageSlot> pending = new ArrayList<>();
        for (Map.Entry<Sequence, Integer> r : rows.entrySet()) {
            Sequence s = r.getKey();
            int from = s.computed;
            int to = from + r.getValue();
            for (int i = 0; i < s.images.length; i++) {
                if (s.images[i] != null || !neededNow(s, i, from, to)) {
                    continue;
                }
                s.images[i] = imageCache.acquire(s.digests[i]);
                if (s.images[i] == null) {
                    missing.putIfAbsent(s.digests[i], s.request.images().get(i));
                    pending.add(new ImageSlot(s, i));
                }
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        List<EncodedImage> encoded = model.encodeImages(List.copyOf(missing.values()));
        Map<ImageDigest, EncodedImageCache.Entry> fresh = new HashMap<>();
        int k = 0;
        for (ImageDigest digest : missing.keySet()) {
            fresh.put(digest, imageCache.add(digest, encoded.get(k++)));
        }
        Set<ImageDigest> taken = new HashSet<>(); // add() held each fresh entry once, for its first user
        for (ImageSlot slot : pending) {
            ImageDigest digest = slot.s().digests[slot.image()];
            EncodedImageCache.Entry e = fresh.get(digest);
            slot.s().images[slot.image()] = taken.add(digest) ? e : imageCache.hold(e);
        }
    }

    /**
     * Whether image {@code i} must be at hand for rows {@code [from, to)}: when the rows reach its
     * span (spliced families), or before the first step at all (cross-attention reads every image
     * from the first token on).
     */
    private static boolean neededNow(Sequence s, int i, int from, int to) {
        if (s.prompt.encoderRows() > 0) {
            return !s.encoderWritten;
        }
        for (PreparedPrompt.ImageSpan span : s.prompt.imageSpans()) {
            if (span.image() == i && span.start() < to && span.start() + span.length() > from) {
                return true;
            }
        }
        return false;
    }

    /** Image {@code image} of request {@code s}. */
    private record ImageSlot(Sequence s, int image) {
    }

    /** Lets go of the image features and cross-attention rows a request held. */
    private void dropImages(Sequence s) {
        if (s.encoderTable != null) {
            s.encoderTable.close();
            s.encoderTable = null;
        }
        for (int i = 0; i < s.images.length; i++) {
            if (s.images[i] != null) {
                imageCache.release(s.images[i]);
                s.images[i] = null;
            }
        }
    }

    /** Image features for the prompt rows {@code [from, to)} of this step (a chunk may cut an image). */
    private List<SequenceInput.EmbeddingSplice> splices(Sequence s, int from, int to) {
        List<SequenceInput.EmbeddingSplice> splices = new ArrayList<>();
        for (PreparedPrompt.ImageSpan span : s.prompt.imageSpans()) {
            int a = Math.max(from, span.start());
            int b = Math.min(to, span.start() + span.length());
            if (a < b) {
                EncodedImage image = s.images[span.image()].image; // encodeImages() ran for this step
                splices.add(new SequenceInput.EmbeddingSplice(a - from, image, a - span.start(), b - a));
            }
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
        for (Sequence s : waiting) {
            s.future.completeExceptionally(stopped);
        }
        for (Sequence s; (s = incoming.poll()) != null; ) {
            s.future.completeExceptionally(stopped);
        }
        cache.close();
    }
}
