package dev.iris.modelkit.engine;

import dev.iris.api.compute.ComputeBackend;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.modelkit.lm.TextOnlyArchitecture;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.weights.LoadProgress;
import org.mockito.Mockito;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Something a fault test runs before every matrix product of the real CPU backend ({@code linear},
 * {@code linears}, {@code gatedLinear}) — stall, sleep or throw — through a Mockito wrapper that
 * passes every call on to the real backend.
 */
@FunctionalInterface
interface LinearHook {

    Path TINY_QWEN2_VL = Path.of("../testdata/models/tiny-qwen2-vl");

    void beforeLinear() throws Throwable;

    /** tiny-qwen2-vl's text model on the CPU backend with this hook before each matrix product. */
    default LoadedModel load() throws IOException {
        ComputeBackend real = new CpuComputeBackend();
        ComputeBackend hooked = Mockito.mock(ComputeBackend.class, invocation -> {
            String op = invocation.getMethod().getName();
            if (op.equals("linear") || op.equals("linears") || op.equals("gatedLinear")) {
                beforeLinear();
            }
            try {
                return invocation.getMethod().invoke(real, invocation.getArguments());
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        return LoadedModel.load(TINY_QWEN2_VL, List.of(new TextOnlyArchitecture(Set.of("Qwen2VLForConditionalGeneration"),
                "qwen2-vl")), hooked, new CpuAttentionBackend(), LoadProgress.NONE);
    }
}
