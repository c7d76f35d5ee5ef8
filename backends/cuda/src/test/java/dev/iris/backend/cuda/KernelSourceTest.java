package dev.iris.backend.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel program as NVRTC gets it: every launched kernel defined once, options, cache key, and it compiles. */
class KernelSourceTest {

    private static List<String> definedKernels(String text) {
        Matcher m = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(").matcher(text);
        List<String> names = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void theProgramDefinesExactlyTheKernelsTheBackendsLaunch() {
        List<String> defined = definedKernels(KernelSource.text());
        assertEquals(KernelSource.KERNELS.stream().sorted().toList(), defined.stream().sorted().toList());
    }

    @Test
    void theProgramStartsWithTheSharedHelpersAndIncludesNoHeaders() {
        String text = KernelSource.text();
        assertTrue(text.startsWith("// ---- common.cuh"), text.substring(0, 40));
        assertTrue(text.indexOf("warp_sum") < text.indexOf("extern \"C\""), "helpers come before the kernels");
        assertTrue(!text.contains("#include"), "NVRTC gets no system headers");
    }

    @Test
    void optionsCompileForTheGpusOwnArchitectureAndRefuseOldOnes() {
        assertEquals("--gpu-architecture=sm_90", KernelSource.options(9, 0).getFirst());
        assertEquals("--gpu-architecture=sm_86", KernelSource.options(8, 6).getFirst());
        assertThrows(IllegalArgumentException.class, () -> KernelSource.options(6, 1));
    }

    @Test
    void theCacheKeyChangesWithTheTextTheOptionsAndTheCompiler() {
        String text = KernelSource.text();
        String key = KernelSource.cacheKey(text, KernelSource.options(9, 0), "13.0");
        assertEquals(key, KernelSource.cacheKey(text, KernelSource.options(9, 0), "13.0"));
        assertNotEquals(key, KernelSource.cacheKey(text + " ", KernelSource.options(9, 0), "13.0"));
        assertNotEquals(key, KernelSource.cacheKey(text, KernelSource.options(8, 0), "13.0"));
        assertNotEquals(key, KernelSource.cacheKey(text, KernelSource.options(9, 0), "13.1"));
    }

    /**
     * The program compiles for a Hopper GPU with the CUDA toolkit's nvcc, when the machine has one
     * (NVRTC itself needs the driver): every kernel becomes an entry of the PTX.
     */
    @Test
    void theProgramCompilesToPtxWithEveryKernelAsAnEntry(@TempDir Path dir) throws IOException, InterruptedException {
        Path nvcc = nvcc();
        Assumptions.assumeTrue(nvcc != null, "no nvcc on PATH or in /usr/local/cuda/bin: compile check skipped");
        Path source = Files.writeString(dir.resolve("iris_kernels.cu"), KernelSource.text());
        Process p = new ProcessBuilder(nvcc.toString(), "-ptx", "-arch=sm_90", "-std=c++17", source.toString(), "-o",
                dir.resolve("k.ptx").toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        String ptx = Files.readString(dir.resolve("k.ptx"));
        for (String kernel : KernelSource.KERNELS) {
            assertTrue(ptx.contains(".entry " + kernel + "("), kernel + " missing from the PTX");
        }
    }

    private static Path nvcc() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/local/cuda/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "nvcc");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
