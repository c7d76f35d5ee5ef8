package dev.iris.modelkit.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.modelkit.lm.TextOnlyArchitecture;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineMetrics;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.engine.SchedulePolicy;
import dev.iris.runtime.engine.TokenEvent;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.weights.LoadProgress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduler under load, on tiny-qwen2-vl's language model: retraction when decode runs out of
 * pages, the longest-prefix-match admission order, decodes running between the chunks of a long
 * prompt, and the log lines and counters an operator watches.
 */
class EngineSchedulingTest {

    private static final Path MODEL = Path.of("../testdata/models/tiny-qwen2-vl");
    private static final Path GOLDEN = Path.of("../testdata/golden/tiny-qwen2-vl/text_only.json");

    private static LoadedModel loaded;
    private static int[] prompt;

    @BeforeAll
    static void load() throws IOException {
        loaded = LoadedModel.load(MODEL, List.of(new TextOnlyArchitecture(Set.of("Qwen2VLForConditionalGeneration"), "qwen2-vl")), new CpuComputeBackend(),
                new CpuAttentionBackend(), LoadProgress.NONE);
        JsonNode ids = new ObjectMapper().readTree(GOLDEN.toFile()).get("input_ids");
        prompt = new int[ids.size()];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = ids.get(i).asInt();
        }
    }

    @AfterAll
    static void close() throws IOException {
        loaded.close();
    }

    private static GenerationRequest request(int[] ids, SamplingParams p, int max) {
        return new GenerationRequest(ids, List.of(), p,
                new StopConditions(List.of(), Set.of(), Set.of(), true, false, max, 0, Integer.MAX_VALUE));
    }

    private static SamplingParams seeded(long seed) {
        return new SamplingParams(0.9f, 0.95f, -1, 0f, 1f, 0f, 0f, seed, 0);
    }

    private static List<GenerationResult> alone(List<GenerationRequest> requests) {
        List<GenerationResult> out = new ArrayList<>();
        try (Engine single = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 4096, 0, false, 1, 32))) {
            for (GenerationRequest r : requests) {
                out.add(single.generate(r));
            }
        }
        return out;
    }

    @Test
    void requestsRetractedWhenDecodeRunsOutOfPagesResumeAndGiveTheTokensTheyGiveAlone() {
        // 8 requests of 35–71 prompt tokens and 40 new tokens each; the pool holds 200 tokens, about two of
        // them. Admission expects 0.7 × 40 new tokens per request, so decode outgrows the pool and retracts.
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int[] ids = Arrays.copyOf(prompt, 71 - i * 5);
            requests.add(request(ids, i % 2 == 0 ? SamplingParams.GREEDY : seeded(i), 40));
        }
        List<GenerationResult> expected = alone(requests);
        for (boolean prefixCache : new boolean[]{true, false}) {
            try (Engine tight = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 200, 0, prefixCache, 16, 32))) {
                List<GenerationResult> got = tight.generate(requests);
                for (int i = 0; i < requests.size(); i++) {
                    assertArrayEquals(expected.get(i).outputIds(), got.get(i).outputIds(), "request " + i);
                }
                EngineMetrics m = tight.metrics();
                assertTrue(m.retractionsTotal() > 0, "no request was retracted: " + m);
                assertEquals(8, m.requestsTotal());
                assertEquals(8 * 40, m.generationTokensTotal());
                assertEquals(tight.cachedPages(), tight.pages().usedPages());
            }
        }
    }

    @Test
    void longestPrefixMatchAdmitsTheRequestWhosePrefixIsCachedFirst() throws Exception {
        int[] other = new int[60];
        Arrays.fill(other, 17);
        assertEquals(List.of("other", "cached"), completionOrder(SchedulePolicy.FCFS, other));
        assertEquals(List.of("cached", "other"), completionOrder(SchedulePolicy.LPM, other));
    }

    /** Which of two queued requests, the second sharing a cached prefix, one running slot serves first. */
    private static List<String> completionOrder(SchedulePolicy policy, int[] other) throws Exception {
        EngineOptions options = new EngineOptions(4, 1024, 0, true, 1, 32).withSchedulePolicy(policy);
        try (Engine engine = loaded.newEngine(new DefaultSampler(), options)) {
            engine.generate(request(prompt, SamplingParams.GREEDY, 1)); // caches the prompt's pages
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<Void> blocker = new CompletableFuture<>();
            // Holds the only running slot while the two others queue behind it.
            engine.stream(request(new int[]{5, 6, 7}, SamplingParams.GREEDY, 300)).subscribe(
                    subscriber(e -> started.countDown(), blocker));
            assertTrue(started.await(30, TimeUnit.SECONDS));
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<GenerationResult> a = engine.generateAsync(request(other, SamplingParams.GREEDY, 2))
                    .whenComplete((r, e) -> order.add("other"));
            CompletableFuture<GenerationResult> b = engine.generateAsync(
                    request(Arrays.copyOf(prompt, 70), SamplingParams.GREEDY, 2)).whenComplete((r, e) -> order.add("cached"));
            CompletableFuture.allOf(a, b, blocker).get(60, TimeUnit.SECONDS);
            return order;
        }
    }

    @Test
    void aRunningDecodeProducesTokensBetweenTheChunksOfALongPrompt() throws Exception {
        // 71 prompt tokens in chunks of 16 take 5 steps; each step also decodes the running request.
        assertTrue(decodeTokensDuringPrefill(16) >= 4);
        assertTrue(decodeTokensDuringPrefill(0) <= 2);
    }

    /** Tokens a running request streams between a long prompt's submission and that prompt's first token. */
    private static int decodeTokensDuringPrefill(int chunk) throws Exception {
        try (Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 1024, 0, false, 4, chunk))) {
            AtomicInteger decoded = new AtomicInteger();
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<Void> done = new CompletableFuture<>();
            engine.stream(request(new int[]{5, 6, 7}, SamplingParams.GREEDY, 200)).subscribe(subscriber(e -> {
                decoded.incrementAndGet();
                started.countDown();
            }, done));
            assertTrue(started.await(30, TimeUnit.SECONDS));
            int before = decoded.get();
            AtomicInteger atFirstToken = new AtomicInteger(-1);
            CompletableFuture<Void> longDone = new CompletableFuture<>();
            engine.stream(request(prompt, SamplingParams.GREEDY, 1)).subscribe(
                    subscriber(e -> atFirstToken.compareAndSet(-1, decoded.get()), longDone));
            longDone.get(30, TimeUnit.SECONDS);
            done.get(30, TimeUnit.SECONDS);
            return atFirstToken.get() - before;
        }
    }

    @Test
    void everyBatchIsLoggedInSglangsFormAndCountedInTheMetrics() {
        EngineLog log = new EngineLog();
        List<String> lines = log.lines;
        EngineOptions options = new EngineOptions(4, 1024, 0, true, 8, 32, SchedulePolicy.FCFS, 5,
                EngineOptions.DEFAULT_IMAGE_CACHE_BYTES, 0, null, null, 0, 0);
        try (Engine engine = loaded.newEngine(new DefaultSampler(), options)) {
            engine.generate(request(prompt, SamplingParams.GREEDY, 10));
            GenerationResult second = engine.generate(request(prompt, SamplingParams.GREEDY, 10));
            EngineMetrics m = engine.metrics();
            assertEquals(2, m.requestsTotal());
            assertEquals(2 * 71, m.promptTokensTotal());
            assertEquals(20, m.generationTokensTotal());
            assertEquals(second.cachedTokens(), m.cachedTokensTotal());
            assertEquals(68.0 / 142, m.cacheHitRate(), 1e-9);
            assertEquals(0, m.runningRequests());
            assertEquals(0, m.queuedRequests());
            assertTrue(m.genThroughput() > 0);
        } finally {
            log.close();
        }
        assertTrue(lines.contains("Prefill batch. #new-seq: 1, #new-token: 32, #cached-token: 0, token usage: 0.03, "
                + "#running-req: 0, #queue-req: 0"), String.join("\n", lines));
        assertTrue(lines.contains("Prefill batch. #new-seq: 1, #new-token: 3, #cached-token: 68, token usage: 0.07, "
                + "#running-req: 0, #queue-req: 0"), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.matches("Decode batch\\. #running-req: 1, #token: \\d+, token usage: "
                + "0\\.\\d\\d, gen throughput \\(token/s\\): \\d+\\.\\d\\d, #queue-req: 0")), String.join("\n", lines));
    }

    private static Flow.Subscriber<TokenEvent> subscriber(java.util.function.Consumer<TokenEvent> onToken,
                                                          CompletableFuture<Void> done) {
        return new Flow.Subscriber<>() {
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            public void onNext(TokenEvent e) {
                onToken.accept(e);
            }

            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            public void onComplete() {
                done.complete(null);
            }
        };
    }
}
