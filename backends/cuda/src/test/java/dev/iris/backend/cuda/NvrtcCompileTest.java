package dev.iris.backend.cuda;

import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NVRTC itself (not nvcc) compiles the kernel program to a Hopper cubin with the backend's own
 * options. Needs libnvrtc.so.13, which loads with the driver or, without a GPU, with a stub
 * {@code libcuda.so.1} and the cuda-redist libraries on LD_LIBRARY_PATH; skipped otherwise.
 */
class NvrtcCompileTest {

    @Test
    void nvrtcCompilesTheProgramToACubin() {
        String reason;
        try {
            Loader.load(nvrtc.class);
            reason = "";
        } catch (Throwable e) {
            reason = e.toString();
        }
        Assumptions.assumeTrue(reason.isEmpty(), "NVRTC cannot be loaded here: " + reason);
        byte[] cubin = KernelCompiler.compile(KernelSource.text(), KernelSource.options(9, 0));
        assertTrue(cubin.length > 10_000, cubin.length + " bytes");
        byte[] elf = {0x7f, 'E', 'L', 'F'};
        assertArrayEquals(elf, java.util.Arrays.copyOf(cubin, 4));
    }
}
