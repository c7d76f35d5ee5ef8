package dev.iris.modelkit.engine;

import dev.iris.api.sampling.SamplingParams;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.stop.StopConditions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A forward pass that fails — an exception, or an Error such as running out of memory — fails
 * the requests in that step, and the engine goes on serving the next ones (tiny-qwen2-vl over a
 * CPU backend whose next {@code linear} throws when told to).
 */
class EngineFaultTest {

    private volatile Throwable fault;
    private LoadedModel loaded;
    private Engine engine;

    @BeforeEach
    void start() throws Exception {
        LinearHook throwOnce = () -> {
            Throwable f = fault;
            if (f != null) {
                fault = null;
                throw f;
            }
        };
        loaded = throwOnce.load();
        engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, false, 4, 64));
    }

    @AfterEach
    void stop() throws Exception {
        engine.close();
        loaded.close();
    }

    private CompletableFuture<GenerationResult> fourTokens() {
        int[] prompt = loaded.tokenizer().encode("The capital city of France is", true);
        return engine.generateAsync(new GenerationRequest(prompt, List.of(), SamplingParams.GREEDY,
                new StopConditions(List.of(), Set.of(), Set.of(), true, false, 4, 0, Integer.MAX_VALUE)));
    }

    private void theFailedStepFailsItsRequestAndTheNextIsServed(Throwable thrown) throws Exception {
        GenerationResult before = fourTokens().get(30, TimeUnit.SECONDS);
        fault = thrown;
        ExecutionException e = assertThrows(ExecutionException.class, () -> fourTokens().get(30, TimeUnit.SECONDS));
        assertInstanceOf(thrown.getClass(), e.getCause());
        GenerationResult after = fourTokens().get(30, TimeUnit.SECONDS);
        assertArrayEquals(before.outputIds(), after.outputIds());
    }

    @Test
    void aStepThatRunsOutOfMemoryFailsItsRequestAndTheEngineServesTheNext() throws Exception {
        theFailedStepFailsItsRequestAndTheNextIsServed(new OutOfMemoryError("Cannot reserve 466747440 bytes"));
    }

    @Test
    void aStepWhoseBackendThrowsFailsItsRequestAndTheEngineServesTheNext() throws Exception {
        theFailedStepFailsItsRequestAndTheNextIsServed(new IllegalStateException("the backend failed"));
    }
}
