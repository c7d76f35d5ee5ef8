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
import dev.iris.runtime.kv.KvPagePool;
import dev.iris.runtime.kv.PageTable;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.stop.StopMatcher;
import dev.iris.runtime.text.IncrementalDetokenizer;

import java.util.ArrayList;
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
 * whole prompt and then one decode step per token. Continuous batching replaces the loop in
 * {@link #run} (issue #5); the request and result types stay.
 */
public final class Engine implements AutoCloseable {

    private final VisionLanguageModel model;
    private final ComputeBackend compute;
    private final Sampler sampler;
    private final Function<int[], String> detokenize;
    private final KvPagePool pool;
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
        this.cache = attention.createCache(new KvCacheSpec(spec.layers(), spec.kvHeads(), spec.headDim(),
                options.pageSize(), pages));
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "iris-engine");
            t.setDaemon(true);
            return t;
        });
    }

    /** The K/V page pool (for metrics and tests: pages in use return to zero when requests end). */
    public KvPagePool pages() {
        return pool;
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
            return new GenerationResult(ids.length, out, "", StopMatcher.FinishReason.LENGTH, null);
        }
        try (PageTable table = pool.newTable()) {
            if (!table.ensureCapacity(ids.length + 1)) {
                throw new IllegalStateException("the prompt (" + ids.length + " tokens) does not fit the K/V pool of "
                        + pool.tokenCapacity() + " tokens");
            }
            float[] logits = forward(ids, prompt.positions(), 0, table, splices(prompt, request));
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
                    return new GenerationResult(ids.length, out, all.toString(), step.finish(), step.matchedStop());
                }
                int slot = ids.length + out.size() - 1;
                if (!table.ensureCapacity(slot + 1)) {
                    throw new IllegalStateException("the K/V pool of " + pool.tokenCapacity() + " tokens is full");
                }
                Positions p = Positions.sequential(prompt.positions().axes(), slot + prompt.decodeOffset(), 1);
                logits = forward(new int[]{token.tokenId()}, p, slot, table, List.of());
            }
        }
    }

    /** Each image's features replace its placeholder rows (the whole prompt is one prefill here). */
    private List<SequenceInput.EmbeddingSplice> splices(PreparedPrompt prompt, GenerationRequest request) {
        List<SequenceInput.EmbeddingSplice> splices = new ArrayList<>();
        for (PreparedPrompt.ImageSpan span : prompt.imageSpans()) {
            EncodedImage image = model.encodeImage(request.images().get(span.image()));
            splices.add(new SequenceInput.EmbeddingSplice(span.start(), image, 0, span.length()));
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
                generated = java.util.Arrays.copyOf(generated, count * 2);
            }
            generated[count++] = token;
        }

        @Override
        public int[] promptTokens() {
            return prompt;
        }

        @Override
        public int[] generatedTokens() {
            return java.util.Arrays.copyOf(generated, count);
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
