package dev.iris.modelkit.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.sampling.SampledToken;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.api.tensor.DType;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.modelkit.lm.TextOnlyArchitecture;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.engine.TokenEvent;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.stop.StopMatcher;
import dev.iris.runtime.tokenizer.Tokenizer;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The offline engine's single-request path on tiny-qwen2-vl's language model (testdata), against
 * transformers' {@code generate(do_sample=False, max_new_tokens=8)} in golden/tiny-qwen2-vl/text_only.json.
 */
class EngineGenerationTest {

    private static final Path MODEL = Path.of("../testdata/models/tiny-qwen2-vl");
    private static final Path GOLDEN = Path.of("../testdata/golden/tiny-qwen2-vl/text_only.json");

    private LoadedModel loaded;
    private Tokenizer tokenizer;
    private Engine engine;
    private JsonNode golden;

    @BeforeEach
    void start() throws IOException {
        loaded = LoadedModel.load(MODEL, List.of(new TextOnlyArchitecture(Set.of("Qwen2VLForConditionalGeneration"), "qwen2-vl")), CpuComputeBackend.withF32Products(),
                new CpuAttentionBackend(), LoadProgress.NONE);
        tokenizer = loaded.tokenizer();
        engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, true, 16, 32));
        golden = new ObjectMapper().readTree(GOLDEN.toFile());
    }

    @AfterEach
    void stop() throws IOException {
        engine.close();
        loaded.close();
    }

    @Test
    void theModelDirectorySuppliesTokenizerAndEndOfSequenceIds() {
        assertEquals(Set.of(302, 300), loaded.eosTokenIds()); // generation_config.json
        assertArrayEquals(promptIds(), tokenizer.encode(golden.get("rendered_prompt").asText(), false));
    }

    private int[] promptIds() {
        JsonNode ids = golden.get("input_ids");
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.get(i).asInt();
        }
        return out;
    }

    private int[] expected(String field) {
        JsonNode a = golden.get("greedy").get(field);
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private static GenerationRequest request(int[] ids, SamplingParams p, boolean ignoreEos, int max) {
        return new GenerationRequest(ids, List.of(), p,
                new StopConditions(List.of(), Set.of(), Set.of(302, 300), ignoreEos, false, max, 0, Integer.MAX_VALUE));
    }

    @Test
    void greedyGenerationMatchesTransformersAndReturnsEveryPage() {
        GenerationResult r = engine.generate(request(promptIds(), SamplingParams.GREEDY, false, 8));
        assertArrayEquals(expected("new_tokens"), r.outputIds());
        GenerationResult all = engine.generate(request(promptIds(), SamplingParams.GREEDY, true, 8));
        assertArrayEquals(expected("new_tokens_ignore_eos"), all.outputIds());
        assertEquals(StopMatcher.FinishReason.LENGTH, all.finishReason());
        assertEquals(71, all.promptTokens());
        // No request holds pages now; what is in use is the prefix cache's.
        assertEquals(engine.cachedPages(), engine.pages().usedPages());
    }

    /**
     * Without {@code --max-total-tokens} the pool holds every running request's whole context (the
     * tiny model's K/V is small enough for memory not to cap it), stored as BF16, and backed by
     * memory only while tokens are in it: none before the first request, and none again once the
     * engine is idle with no cached prefix. The greedy tokens are still transformers'.
     */
    @Test
    void theDefaultKvCacheIsBf16SizedByNeedAndHoldsMemoryOnlyWhileUsed() throws Exception {
        try (Engine e = loaded.newEngine(new DefaultSampler(), new EngineOptions(1, 0, 0.8, false, 4, 32))) {
            assertEquals(4L * e.contextLength(), e.kvBudget().tokens());
            assertTrue(e.kvBudget().reason().contains("of BF16"), e.kvBudget().reason());
            assertEquals(0, e.kvResidentBytes());
            long[] heldWhileRunning = new long[1];
            GenerationResult r = e.submit(request(promptIds(), SamplingParams.GREEDY, false, 8),
                    token -> heldWhileRunning[0] = e.kvResidentBytes()).get(30, TimeUnit.SECONDS);
            assertArrayEquals(expected("new_tokens"), r.outputIds());
            assertTrue(heldWhileRunning[0] > 0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (e.kvResidentBytes() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, e.kvResidentBytes(), "given back once idle");
        }
    }

    /**
     * Without {@code max_tokens} generation stops when prompt and output reach C − 1 tokens
     * (contract §4.8.3), and a prompt of C − 1 tokens gets no token at all.
     */
    @Test
    void generationStopsWhenPromptAndOutputReachTheContextLessOne() {
        int[] prompt = promptIds(); // 71 tokens
        try (Engine e = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, false, 4, 32)
                .withContextLength(100))) {
            GenerationResult r = e.generate(request(prompt, SamplingParams.GREEDY, true, Engine.UNLIMITED));
            assertEquals(100 - 1 - prompt.length, r.outputIds().length);
            assertEquals(StopMatcher.FinishReason.LENGTH, r.finishReason());
        }
        try (Engine e = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, false, 4, 32)
                .withContextLength(prompt.length + 1))) {
            GenerationResult r = e.generate(request(prompt, SamplingParams.GREEDY, true, Engine.UNLIMITED));
            assertEquals(0, r.outputIds().length);
            assertEquals(StopMatcher.FinishReason.LENGTH, r.finishReason());
        }
    }

    /**
     * With pages backed as they are used, the prefix cache must not grow to the whole budget:
     * past {@code --max-cached-tokens} the least recently used prefixes go, and the most recent
     * one is still reused.
     */
    @Test
    void thePrefixCacheKeepsNoMoreThanItsLimitAndTheLatestPrefixStaysReusable() {
        try (Engine e = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 4096, 0, true, 4, 32)
                .withPrefixCacheTokens(160))) {
            int[] prompt = promptIds();
            for (int i = 0; i < 8; i++) {
                int[] distinct = prompt.clone();
                distinct[0] = 10 + i; // a different first token: nothing shared with the others
                e.generate(request(distinct, SamplingParams.GREEDY, true, 2));
                assertTrue(e.cachedPages() <= 160 / 4, "cached pages: " + e.cachedPages());
            }
            int[] last = prompt.clone();
            last[0] = 17;
            assertTrue(e.generate(request(last, SamplingParams.GREEDY, true, 2)).cachedTokens() > 0);
        }
    }

    @Test
    void theSecondOfTwoIdenticalRequestsReusesCachedTokensAndGivesTheSameOutput() throws IOException {
        GenerationResult first = engine.generate(request(promptIds(), SamplingParams.GREEDY, true, 8));
        GenerationResult second = engine.generate(request(promptIds(), SamplingParams.GREEDY, true, 8));
        assertEquals(0, first.cachedTokens());
        assertEquals(68, second.cachedTokens()); // 70 of 71 prompt tokens may come from cache, in pages of 4
        assertArrayEquals(first.outputIds(), second.outputIds());

        try (Engine uncached = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, false, 16, 32))) {
            uncached.generate(request(promptIds(), SamplingParams.GREEDY, true, 8));
            GenerationResult again = uncached.generate(request(promptIds(), SamplingParams.GREEDY, true, 8));
            assertEquals(0, again.cachedTokens());
            assertArrayEquals(first.outputIds(), again.outputIds());
            assertEquals(0, uncached.pages().usedPages());
        }
    }

    @Test
    void requestsRunTogetherProduceExactlyWhatTheyProduceAlone() {
        int[] prompt = promptIds();
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            // Different lengths (7 to 71 tokens, all prefixes of one prompt) and seeds; half greedy, half sampled.
            int[] ids = java.util.Arrays.copyOf(prompt, 7 + i * 4);
            SamplingParams p = i % 2 == 0 ? SamplingParams.GREEDY : new SamplingParams(0.9f, 0.95f, -1, 0f, 1f, 0f, 0f, (long) i, 2);
            requests.add(request(ids, p, true, 6 + i));
        }
        List<GenerationResult> alone = new ArrayList<>();
        try (Engine single = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 2048, 0, false, 1, 32))) {
            for (GenerationRequest r : requests) {
                alone.add(single.generate(r));
            }
        }
        List<GenerationResult> together = engine.generate(requests);
        for (int i = 0; i < requests.size(); i++) {
            assertArrayEquals(alone.get(i).outputIds(), together.get(i).outputIds(), "request " + i);
            for (int t = 0; t < alone.get(i).tokens().size(); t++) {
                assertEquals(alone.get(i).tokens().get(t).logprob(), together.get(i).tokens().get(t).logprob(), "request " + i);
            }
        }
        assertEquals(engine.cachedPages(), engine.pages().usedPages());
    }

    @Test
    void chunkedPrefillGivesTheTokensOfAWholePrefill() {
        GenerationRequest r = request(promptIds(), new SamplingParams(0.7f, 1f, -1, 0f, 1f, 0f, 0f, 3L, 1), true, 8);
        GenerationResult whole;
        GenerationResult chunked;
        try (Engine a = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, false, 4, 0));
             Engine b = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, false, 4, 16))) {
            whole = a.generate(r);
            chunked = b.generate(r);
        }
        // Tokens, not bits: the 71-row whole prefill goes through OpenBLAS, 16-row chunks through
        // the Vector API kernel, which sum in different orders.
        assertArrayEquals(whole.outputIds(), chunked.outputIds());
        for (int t = 0; t < whole.tokens().size(); t++) {
            assertEquals(whole.tokens().get(t).logprob(), chunked.tokens().get(t).logprob(), 1e-4);
        }
    }

    @Test
    void aCancelledRequestGivesItsPagesBackAndTheEngineGoesOn() throws Exception {
        var long1 = engine.generateAsync(request(promptIds(), SamplingParams.GREEDY, true, 400));
        Thread.sleep(50);
        long1.cancel(true);
        GenerationResult next = engine.generate(request(promptIds(), SamplingParams.GREEDY, true, 8));
        assertArrayEquals(expected("new_tokens_ignore_eos"), next.outputIds());
        assertEquals(engine.cachedPages(), engine.pages().usedPages());
    }

    @Test
    void aPoolForTwoLongRequestsStillFinishesEightSubmittedAtOnce() {
        // 71-token prompts + 8 new tokens need 20 pages of 4 each; the pool holds 40 pages.
        try (Engine tight = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 160, 0, false, 16, 32))) {
            List<GenerationRequest> eight = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                eight.add(request(promptIds(), SamplingParams.GREEDY, true, 8));
            }
            for (GenerationResult r : tight.generate(eight)) {
                assertArrayEquals(expected("new_tokens_ignore_eos"), r.outputIds());
            }
            assertEquals(0, tight.pages().usedPages());
        }
    }

    @Test
    void maxTokensZeroGeneratesNothingAndHoldsNoPages() {
        GenerationResult r = engine.generate(request(promptIds(), SamplingParams.GREEDY, false, 0));
        assertEquals(0, r.outputIds().length);
        assertEquals(StopMatcher.FinishReason.LENGTH, r.finishReason());
        assertEquals(71, r.promptTokens());
        assertEquals(0, engine.pages().usedPages());
    }

    @Test
    void streamedTokensAreTheBlockingResult() throws InterruptedException {
        List<Integer> streamed = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        engine.stream(request(promptIds(), SamplingParams.GREEDY, true, 8)).subscribe(new Flow.Subscriber<>() {
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            public void onNext(TokenEvent e) {
                streamed.add(e.token().tokenId());
            }

            public void onError(Throwable t) {
                done.countDown();
            }

            public void onComplete() {
                done.countDown();
            }
        });
        assertTrue(done.await(30, TimeUnit.SECONDS));
        assertArrayEquals(expected("new_tokens_ignore_eos"), streamed.stream().mapToInt(Integer::intValue).toArray());
    }

    @Test
    void aStopStringAcrossTokensEndsStreamingAndBlockingGenerationAlike() throws InterruptedException {
        SamplingParams p = new SamplingParams(0.9f, 1f, -1, 0f, 1f, 0f, 0f, 7L, 0);
        GenerationResult free = engine.generate(request(promptIds(), p, true, 24));
        String text = free.text();
        // A stop string made of the last character of one token's text and the first of the next.
        List<String> tokenTexts = new ArrayList<>();
        for (int id : free.outputIds()) {
            tokenTexts.add(tokenizer.decode(new int[]{id}, true)); // these tiny vocabularies are ASCII
        }
        int cut = -1;
        String stopString = null;
        String seen = "";
        for (int i = 0; i + 1 < tokenTexts.size() && stopString == null; i++) {
            String a = tokenTexts.get(i);
            String b = tokenTexts.get(i + 1);
            seen += a;
            if (!a.isEmpty() && !b.isEmpty() && text.indexOf(a.substring(a.length() - 1) + b.charAt(0)) == seen.length() - 1) {
                stopString = a.substring(a.length() - 1) + b.charAt(0);
                cut = seen.length() - 1;
            }
        }
        assertTrue(stopString != null, "no two adjacent non-empty tokens in: " + text);
        GenerationRequest stopped = new GenerationRequest(promptIds(), List.of(), p,
                new StopConditions(List.of(stopString), Set.of(), Set.of(), true, false, 24, 0, Integer.MAX_VALUE));
        GenerationResult blocking = engine.generate(stopped);
        List<String> streamed = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        engine.stream(stopped).subscribe(collect(streamed, done));
        assertTrue(done.await(30, TimeUnit.SECONDS));
        assertEquals(text.substring(0, cut), blocking.text());
        assertEquals(stopString, blocking.matchedStop());
        assertEquals(blocking.text(), String.join("", streamed));
    }

    private static Flow.Subscriber<TokenEvent> collect(List<String> into, CountDownLatch done) {
        return new Flow.Subscriber<>() {
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            public void onNext(TokenEvent e) {
                into.add(e.text());
            }

            public void onError(Throwable t) {
                done.countDown();
            }

            public void onComplete() {
                done.countDown();
            }
        };
    }

    @Test
    void aSeededSampledRequestIsReproducibleAndLogprobsAreBelowZero() {
        SamplingParams p = new SamplingParams(0.8f, 0.9f, 40, 0f, 1f, 0f, 0f, 42L, 3);
        List<GenerationResult> twice = engine.generate(List.of(request(promptIds(), p, true, 6), request(promptIds(), p, true, 6)));
        assertArrayEquals(twice.get(0).outputIds(), twice.get(1).outputIds());
        twice.get(0).tokens().forEach(t -> assertTrue(t.logprob() <= 0 && t.topLogprobs().size() == 3));
    }

    /**
     * {@code logprob_start_len}: each prompt token's log-probability is the log-softmax of
     * transformers' logits at the position before it (golden text_only.safetensors holds the
     * logits of every prompt position); the first token has none. The same whether the prompt is
     * computed whole or in chunks, and a repeated request recomputes what the prefix cache holds.
     * Logits to 1e-4 are a check of the math: the K/V cache is kept in F32 here (BF16, the CPU's
     * default, moves them by about 1e-3).
     */
    @Test
    void promptTokensAreScoredFromTransformersLogitsAtThePositionBefore() throws IOException {
        int[] ids = promptIds();
        float[] logits;
        try (Arena arena = Arena.ofConfined()) {
            logits = SafetensorsFile.open(GOLDEN.resolveSibling("text_only.safetensors"), arena).tensors().get("logits")
                    .data().toArray(ValueLayout.JAVA_FLOAT);
        }
        int vocab = logits.length / ids.length;
        SamplingParams p = new SamplingParams(0f, 1f, -1, 0f, 1f, 0f, 0f, null, 2);
        GenerationRequest scored = request(ids, p, true, 2).withLogprobStartLen(0);
        try (Engine whole = loaded.newEngine(new DefaultSampler(),
                new EngineOptions(4, 512, 0, true, 16, 32).withKvCacheDtype(DType.F32));
             Engine chunked = loaded.newEngine(new DefaultSampler(),
                     new EngineOptions(4, 512, 0, true, 4, 16).withKvCacheDtype(DType.F32))) {
            for (Engine e : List.of(whole, chunked, chunked)) {
                List<SampledToken> scores = e.generate(scored).promptLogprobs();
                assertEquals(ids.length, scores.size());
                assertTrue(Float.isNaN(scores.getFirst().logprob()));
                assertEquals(ids[0], scores.getFirst().tokenId());
                for (int i = 1; i < ids.length; i++) {
                    float[] before = Arrays.copyOfRange(logits, (i - 1) * vocab, i * vocab);
                    double expected = logSoftmax(before, ids[i]);
                    assertEquals(ids[i], scores.get(i).tokenId());
                    assertEquals(expected, scores.get(i).logprob(), 1e-4, "prompt token " + i);
                    assertEquals(2, scores.get(i).topLogprobs().size());
                    assertEquals(argmax(before), scores.get(i).topLogprobs().getFirst().tokenId());
                }
            }
            List<SampledToken> tail = chunked.generate(request(ids, p, true, 2).withLogprobStartLen(60)).promptLogprobs();
            assertEquals(ids.length - 60, tail.size());
            assertEquals(ids[60], tail.getFirst().tokenId());
        }
        assertTrue(engine.generate(request(ids, p, true, 2)).promptLogprobs().isEmpty());
    }

    private static double logSoftmax(float[] x, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        return x[token] - max - Math.log(sum);
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    /** {@code --random-seed}: the same server seed gives the same answers to requests that give no seed. */
    @Test
    void aServerSeedMakesUnseededSamplingRepeatable() {
        SamplingParams unseeded = new SamplingParams(1f, 1f, -1, 0f, 1f, 0f, 0f, null, 0);
        EngineOptions seeded = new EngineOptions(4, 512, 0, false, 4, 32).withRandomSeed(7L);
        List<int[]> runs = new java.util.ArrayList<>();
        for (EngineOptions o : List.of(seeded, seeded, seeded.withRandomSeed(8L))) {
            try (Engine e = loaded.newEngine(new DefaultSampler(), o)) {
                runs.add(e.generate(request(promptIds(), unseeded, true, 16)).outputIds());
            }
        }
        assertArrayEquals(runs.get(0), runs.get(1));
        assertFalse(Arrays.equals(runs.get(0), runs.get(2)), "another seed, the same 16 sampled tokens");
    }

    /** {@code --context-length} replaces the model's context length in every check. */
    @Test
    void aServerContextLengthOverridesTheModels() {
        try (Engine e = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, false, 4, 32)
                .withContextLength(64))) {
            assertEquals(64, e.contextLength());
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> e.generate(request(new int[70], SamplingParams.GREEDY, false, 4)));
            assertEquals("The input (70 tokens) is longer than the model's context length (64 tokens).", x.getMessage());
        }
    }

    @Test
    void aPromptLongerThanTheContextIsRefusedWithSglangsMessage() throws IOException {
        int[] longPrompt = new int[40000];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> engine.generate(request(longPrompt, SamplingParams.GREEDY, false, 4)));
        assertEquals("The input (40000 tokens) is longer than the model's context length (32768 tokens).", e.getMessage());
        assertEquals(engine.cachedPages(), engine.pages().usedPages());
    }
}
