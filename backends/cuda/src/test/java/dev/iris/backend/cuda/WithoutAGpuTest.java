package dev.iris.backend.cuda;

import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a machine without an NVIDIA driver (CI) the providers still load, say they cannot run and
 * why, and an op fails with that reason instead of a linker error.
 */
class WithoutAGpuTest {

    @Test
    void theBackendSaysItCannotRunAndWhy() {
        Assumptions.assumeFalse(CudaProbe.unavailableReason().isEmpty(), "this machine has a CUDA device");
        CudaComputeBackend backend = new CudaComputeBackend();
        assertFalse(backend.isAvailable());
        String reason = backend.unavailableReason();
        assertTrue(reason.contains("NVIDIA") || reason.contains("CUDA device"), reason);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> backend.zeros(DType.F32, Shape.of(4)));
        assertTrue(e.getMessage().startsWith("CUDA is not available: "), e.getMessage());
    }
}
