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
import dev.iris.api.sampling.SamplingState;
import dev.iris.api.tensor.Tensor;
import dev.iris.runtime.kv.ImageKeys;
import dev.iris.runtime.kv.KvPagePool;
import dev.iris.runtime.kv.PageTable;
import dev.iris.runtime.kv.PrefixCache;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.stop.StopMatcher;
import dev.iris.runtime.text.IncrementalDetokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * The offline engine (SGLang's {@code sgl.Engine} counterpart): one model, its K/V page pool and
 * a sampler, driven by one engine thread. Callers never block it: they get a future, a
 * {@link Flow.Publisher} of tokens, or block on their own thread.
 *
 * <p>This is the single-request path: requests run one after another, each as a prefill of the
 * prompt (after the longest prefix found in the prefix cache) and then one decode step per
 * token; a finished request's pages go to the prefix cache. Continuous batching replaces the
 * loop in {@link #run} (issue #5); the request and result types stay.
 */
public final class Engine implements AutoCloseable {

    private final VisionLanguageModel model;
    private final ComputeBackend compute;
    private final Sampler sampler;
    private final Function<int[], String> detokenize;
    private final KvPagePool pool;
    private final PrefixCache prefixCache;
    private final ImageKeys imageKeys = new ImageKeys();
    private final KvCache cache;
    private final ExecutorService thread;

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
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "iris-engine");
            t.setDaemon(true);
            return t;
        });
    }

    /** The K/V page pool (for metrics and tests: pages held by requests return to zero when they end). */
    public KvPagePool pages() {
        return pool;
    }

    /** Pages the prefix cache holds (evictable), 0 when it is off. */
    public int cachedPages() {
        return prefixCache == null ? 0 : prefixCache.cachedPages();
    }

    /** Runs a request; the future completes with its result or fails with the reason. */
    public CompletableFuture<GenerationResult> generateAsync(GenerationRequest request) {
        return submit(request, token -> { });
    }

    /** Runs a request and waits for it. */
    public GenerationResult generate(GenerationRequest request) {
        return join(generateAsync(request));
    }

    /** Runs requests (one after another on this path) and waits for all. */
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
        return CompletableFuture.supplyAsync(() -> run(request, sink), thread);
    }

    private static GenerationResult join(CompletableFuture<GenerationResult> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** The single-request generation loop, on the engine thread; each token also goes to {@code sink}. */
    private GenerationResult run(GenerationRequest request, Consumer<TokenEvent> sink) {
        PreparedPrompt prompt = model.preparePrompt(request.inputIds(), request.images());
        int[] ids = prompt.tokenIds();
        int context = model.spec().contextLength();
        if (ids.length >= context) {
            throw new IllegalArgumentException("The input (" + ids.length + " tokens) is longer than the model's"
                    + " context length (" + context + " tokens).");
        }
        StopConditions given = request.stop();
        StopMatcher stop = new StopMatcher(new StopConditions(given.stopStrings(), given.stopTokenIds(),
                given.eosTokenIds(), given.ignoreEos(), given.keepStopString(), given.maxNewTokens(),
                given.minNewTokens(), Math.min(given.contextRoom(), context - ids.length)));
        IncrementalDetokenizer text = detokenize == null ? null : new IncrementalDetokenizer(detokenize);
        List<SampledToken> out = new ArrayList<>();
        StringBuilder all = new StringBuilder();
        State state = new State(ids, request.sampling().seed());
        if (given.maxNewTokens() == 0) {
            return new GenerationResult(ids.length, 0, out, "", StopMatcher.FinishReason.LENGTH, null);
        }
        long[] keys = cacheKeys(ids, prompt, request);
        PrefixCache.Match match = prefixCache == null ? null : prefixCache.lookup(keys, ids.length - 1);
        int cached = match == null ? 0 : match.tokens(pool.pageSize());
        try (PageTable table = pool.newTable()) {
            if (match != null) {
                table.borrow(match.pages());
            }
            reserve(table, ids.length + 1);
            float[] logits = forward(Arrays.copyOfRange(ids, cached, ids.length),
                    prompt.positions().slice(cached, ids.length), cached, table, splices(prompt, request, cached));
            while (true) {
                SampledToken token = sampler.sample(logits, request.sampling(), state);
                out.add(token);
                state.add(token.tokenId());
                StopMatcher.Step step = stop.accept(token.tokenId(), text == null ? "" : text.add(token.tokenId()));
                String shown = step.text();
                if (step.finished() && text != null && step.matchedStop() == null) {
                    shown += text.finish(); // the rest of a character cut by the length limit
                }
                all.append(shown);
                sink.accept(new TokenEvent(token, shown));
                if (step.finished()) {
                    keep(table, keys, out);
                    return new GenerationResult(ids.length, cached, out, all.toString(), step.finish(), step.matchedStop());
                }
                int slot = ids.length + out.size() - 1;
                reserve(table, slot + 1);
                Positions p = Positions.sequential(prompt.positions().axes(), slot + prompt.decodeOffset(), 1);
                logits = forward(new int[]{token.tokenId()}, p, slot, table, List.of());
            }
        } finally {
            if (match != null) {
                prefixCache.release(match);
            }
        }
    }

    /** Grows the table to {@code tokens}, evicting cached prefixes when the pool is short. */
    private void reserve(PageTable table, int tokens) {
        if (table.ensureCapacity(tokens)) {
            return;
        }
        if (prefixCache != null) {
            prefixCache.evict(pool.pagesFor(tokens) - table.size() - pool.freePages());
        }
        if (!table.ensureCapacity(tokens)) {
            throw new IllegalStateException("the K/V pool of " + pool.tokenCapacity() + " tokens cannot hold "
                    + tokens + " tokens");
        }
    }

    /** Hands the finished sequence's full pages (prompt and generated tokens with K/V) to the prefix cache. */
    private void keep(PageTable table, long[] promptKeys, List<SampledToken> out) {
        if (prefixCache == null) {
            return;
        }
        int computed = promptKeys.length + out.size() - 1; // the last token's K/V was never computed
        long[] keys = Arrays.copyOf(promptKeys, computed);
        for (int i = promptKeys.length; i < computed; i++) {
            keys[i] = out.get(i - promptKeys.length).tokenId();
        }
        int fullPages = Math.min(computed / pool.pageSize(), table.size());
        prefixCache.insert(keys, table.pages(), fullPages);
        table.detach(fullPages);
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

    /**
     * Each image's features replace its placeholder rows among the tokens computed now (from
     * {@code cached} on; a cached prefix may end inside an image).
     */
    private List<SequenceInput.EmbeddingSplice> splices(PreparedPrompt prompt, GenerationRequest request, int cached) {
        List<SequenceInput.EmbeddingSplice> splices = new ArrayList<>();
        for (PreparedPrompt.ImageSpan span : prompt.imageSpans()) {
            int skip = Math.max(0, cached - span.start());
            if (skip >= span.length()) {
                continue;
            }
            EncodedImage image = model.encodeImage(request.images().get(span.image()));
            splices.add(new SequenceInput.EmbeddingSplice(span.start() + skip - cached, image, skip, span.length() - skip));
        }
        return splices;
    }

    private float[] forward(int[] tokens, Positions positions, int cached, PageTable table,
                            List<SequenceInput.EmbeddingSplice> splices) {
        SequenceInput input = new SequenceInput(tokens, positions,
                AttentionSequence.selfOnly(0, tokens.length, cached, table.pages()), splices, null, true);
        Tensor logits = model.forward(new ForwardBatch(List.of(input), cache, null));
        return compute.toFloats(logits);
    }

    /** A request's tokens and random stream, for the sampler. */
    private static final class State implements SamplingState {
        private final int[] prompt;
        private int[] generated = new int[16];
        private int count;
        private final RandomGenerator random;

        State(int[] prompt, Long seed) {
            this.prompt = prompt;
            this.random = seed == null ? new SplittableRandom() : new SplittableRandom(seed);
        }

        void add(int token) {
            if (count == generated.length) {
                generated = Arrays.copyOf(generated, count * 2);
            }
            generated[count++] = token;
        }

        @Override
        public int[] promptTokens() {
            return prompt;
        }

        @Override
        public int[] generatedTokens() {
            return Arrays.copyOf(generated, count);
        }

        @Override
        public RandomGenerator random() {
            return random;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        cache.close();
    }
}
