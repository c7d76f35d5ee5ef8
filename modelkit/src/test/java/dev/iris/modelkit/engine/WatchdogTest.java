package dev.iris.modelkit.engine;

import dev.iris.api.sampling.SamplingParams;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.engine.Watchdog;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.stop.StopConditions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The watchdog tells a hung step from a long one, on tiny-qwen2-vl over a CPU backend that Mockito
 * wraps: when the backend's {@code linear} stops returning mid-step, the waiting requests end
 * with an error and then the exit hook runs; when every {@code linear} is merely slow — a step
 * several times the timeout, but one that keeps finishing work — nothing is ended.
 */
class WatchdogTest {

    private final CountDownLatch release = new CountDownLatch(1);
    private volatile boolean stall;
    private volatile long slowMillis;
    private LoadedModel loaded;
    private Engine engine;

    @BeforeEach
    void start() throws Exception {
        // linear first stalls or sleeps when told to.
        LinearHook hook = () -> {
            if (stall) {
                release.await();
            }
            if (slowMillis > 0) {
                Thread.sleep(slowMillis);
            }
        };
        loaded = hook.load();
        engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, false, 4, 64));
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        engine.close();
        loaded.close();
    }

    private CompletableFuture<GenerationResult> oneToken() {
        int[] prompt = loaded.tokenizer().encode("The capital city of France is", true);
        return engine.generateAsync(new GenerationRequest(prompt, List.of(), SamplingParams.GREEDY,
                new StopConditions(List.of(), Set.of(), Set.of(), true, false, 1, 0, Integer.MAX_VALUE)));
    }

    @Test
    void aStepThatStopsMakingProgressFailsItsRequestsThenEndsTheProcess() throws Exception {
        CountDownLatch exited = new CountDownLatch(1);
        try (Watchdog watchdog = new Watchdog(engine, Duration.ofMillis(500), Duration.ofMillis(50), exited::countDown)) {
            stall = true;
            CompletableFuture<GenerationResult> request = oneToken();
            ExecutionException e = assertThrows(ExecutionException.class, () -> request.get(10, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertTrue(e.getCause().getMessage().startsWith("The server stopped making progress"), e.getCause().getMessage());
            assertTrue(exited.await(5, TimeUnit.SECONDS), "the process is ended after the requests were told");
        }
    }

    @Test
    void aLongStepThatKeepsFinishingWorkIsLeftToRun() throws Exception {
        CountDownLatch exited = new CountDownLatch(1);
        try (Watchdog watchdog = new Watchdog(engine, Duration.ofMillis(500), Duration.ofMillis(50), exited::countDown)) {
            slowMillis = 200; // nine matrix products a forward (q/k/v, o, gate/up, down ×2 layers, head): ~1.8 s, progress every 200 ms
            long start = System.nanoTime();
            GenerationResult r = oneToken().get(60, TimeUnit.SECONDS);
            assertEquals(1, r.outputIds().length);
            assertTrue(System.nanoTime() - start > Duration.ofSeconds(1).toNanos(), "the step was longer than the timeout");
            assertFalse(exited.await(0, TimeUnit.SECONDS), "the watchdog left it alone");
        }
    }
}
