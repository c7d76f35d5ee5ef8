package dev.iris.model.qwen2vl;

import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.ModelSpec;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.api.tensor.Tensor;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineMetrics;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.weights.LoadProgress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the engine runs the vision tower of tiny-qwen2-vl: an image seen before comes from the
 * encoded-image cache, and the new images of requests that start together go through the tower in
 * one call. Every answer is still transformers' greedy continuation ({@link GoldenCase}).
 */
class ImageEncodingInTheEngineTest {

    private static LoadedModel loaded;
    private static Arena arena;

    @BeforeAll
    static void load() throws IOException {
        loaded = LoadedModel.load(GoldenCase.MODEL, List.of(new Qwen2VlArchitecture()), new CpuComputeBackend(),
                new CpuAttentionBackend(), LoadProgress.NONE);
        arena = Arena.ofShared();
    }

    @AfterAll
    static void close() throws IOException {
        arena.close();
        loaded.close();
    }

    /** The loaded model, recording how many images each vision-tower call took; its forward can be held. */
    private static final class Recording implements VisionLanguageModel {
        final List<Integer> towerCalls = new CopyOnWriteArrayList<>();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);
        volatile boolean holdNextForward;

        @Override
        public ModelSpec spec() {
            return loaded.model().spec();
        }

        @Override
        public ImageProcessor imageProcessor() {
            return loaded.model().imageProcessor();
        }

        @Override
        public PreparedPrompt preparePrompt(int[] tokenIds, List<ProcessedImage> images) {
            return loaded.model().preparePrompt(tokenIds, images);
        }

        @Override
        public List<EncodedImage> encodeImages(List<ProcessedImage> images) {
            towerCalls.add(images.size());
            return loaded.model().encodeImages(images);
        }

        @Override
        public Tensor forward(ForwardBatch batch) {
            if (holdNextForward) {
                holdNextForward = false;
                entered.countDown();
                try {
                    gate.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return loaded.model().forward(batch);
        }

        @Override
        public void close() {
        }
    }

    private static Engine engine(Recording model, EngineOptions options) {
        return new Engine(model, loaded.compute(), new CpuAttentionBackend(), new DefaultSampler(), options,
                loaded.tokenizer()::decode);
    }

    @Test
    void anImageShownAgainInALaterRequestSkipsTheVisionTower() throws IOException {
        GoldenCase oneImage = GoldenCase.load("one_image", arena);
        Recording model = new Recording();
        // Prefix cache off: the second request recomputes its prompt, so only the image cache saves the tower.
        try (Engine engine = engine(model, new EngineOptions(4, 1024, 0, false, 4, 512))) {
            GenerationResult first = engine.generate(oneImage.greedyRequest());
            GenerationResult second = engine.generate(oneImage.greedyRequest());
            assertArrayEquals(oneImage.greedyTokens(), first.outputIds());
            assertArrayEquals(oneImage.greedyTokens(), second.outputIds());
            assertEquals(List.of(1), model.towerCalls);
            EngineMetrics m = engine.metrics();
            assertEquals(1, m.imagesEncodedTotal());
            assertEquals(1, m.imageCacheHitsTotal());
            assertEquals((long) oneImage.floats("image_embeds").length * Float.BYTES, m.imageCacheBytes());
        }
    }

    @Test
    void withNoImageCacheEveryRequestEncodesItsImage() throws IOException {
        GoldenCase oneImage = GoldenCase.load("one_image", arena);
        Recording model = new Recording();
        try (Engine engine = engine(model, new EngineOptions(4, 1024, 0, false, 4, 512).withImageCacheBytes(0))) {
            assertArrayEquals(oneImage.greedyTokens(), engine.generate(oneImage.greedyRequest()).outputIds());
            assertArrayEquals(oneImage.greedyTokens(), engine.generate(oneImage.greedyRequest()).outputIds());
            assertEquals(List.of(1, 1), model.towerCalls);
            assertEquals(0, engine.metrics().imageCacheBytes());
        }
    }

    /**
     * Four requests arrive while the engine is busy: one image, two images (one of them the same
     * picture), text only, and the first again. Their two distinct images go through the tower in
     * one call, and each request gets exactly what it gets alone.
     */
    @Test
    void theNewImagesOfRequestsStartingTogetherAreEncodedInOneCall() throws Exception {
        GoldenCase oneImage = GoldenCase.load("one_image", arena);
        GoldenCase twoImages = GoldenCase.load("two_images", arena);
        GoldenCase textOnly = GoldenCase.load("text_only", arena);
        Recording model = new Recording();
        try (Engine engine = engine(model, new EngineOptions(4, 4096, 0, true, 8, 1024))) {
            model.holdNextForward = true;
            CompletableFuture<GenerationResult> busy = engine.generateAsync(textOnly.greedyRequest());
            assertTrue(model.entered.await(30, TimeUnit.SECONDS));
            List<GoldenCase> cases = List.of(oneImage, twoImages, textOnly, oneImage);
            List<CompletableFuture<GenerationResult>> results = new java.util.ArrayList<>();
            for (GoldenCase c : cases) {
                results.add(engine.generateAsync(c.greedyRequest()));
            }
            model.gate.countDown();
            assertArrayEquals(textOnly.greedyTokens(), busy.get(60, TimeUnit.SECONDS).outputIds());
            for (int i = 0; i < cases.size(); i++) {
                assertArrayEquals(cases.get(i).greedyTokens(), results.get(i).get(60, TimeUnit.SECONDS).outputIds(),
                        "request " + i);
            }
            assertEquals(List.of(2), model.towerCalls, "gradient and tall image, each once, in one call");
        }
    }
}
