package dev.iris.backend.cpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuFeaturesTest {

    /** /proc/cpuinfo excerpts from the kinds of machine Iris meets (src/test/resources/cpuinfo). */
    private static CpuFeatures sample(String name) throws IOException {
        try (InputStream in = CpuFeaturesTest.class.getResourceAsStream("/cpuinfo/" + name + ".txt")) {
            return CpuFeatures.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @ParameterizedTest
    @CsvSource({
            "amd-epyc-genoa, AMD EPYC, Cooperlake",
            "intel-xeon-sapphire-rapids, Intel(R) Xeon(R) Platinum 8480+, SapphireRapids",
            "intel-core-avx2, Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz, Haswell"})
    void eachCpuGetsTheOpenBlasCoreOfItsWidestInstructions(String sample, String model, String core) throws IOException {
        CpuFeatures cpu = sample(sample);
        assertEquals(model, cpu.model());
        assertEquals(core, cpu.openBlasCore());
    }

    @Test
    void aCpuWithoutAvx2LeavesTheChoiceToOpenBlasAndSaysSo() throws IOException {
        CpuFeatures cpu = sample("qemu-sse-only");
        assertNull(cpu.openBlasCore());
        assertEquals("QEMU Virtual CPU version 2.5+ (no AVX2 or AVX-512)", cpu.describe());
    }

    @Test
    void onlyTheFirstProcessorsFlagsCountAndTheDescriptionListsTheRelevantOnes() throws IOException {
        CpuFeatures cpu = sample("intel-xeon-sapphire-rapids");
        assertTrue(cpu.has("amx_bf16") && cpu.has("avx512_bf16"));
        assertEquals("Intel(R) Xeon(R) Platinum 8480+ (avx2 fma avx512f avx512bw avx512vl avx512dq avx512_vnni"
                + " avx512_bf16 avx512_fp16 amx_bf16 amx_int8 amx_tile)", cpu.describe());
    }

    @Test
    void anUnreadableCpuinfoMeansNoFeaturesRatherThanAnError() {
        CpuFeatures cpu = CpuFeatures.detect(Path.of("/nonexistent/cpuinfo"));
        assertFalse(cpu.has("avx2"));
        assertNull(cpu.openBlasCore());
    }

    @Test
    void openBlasRunsTheCoreChosenForThisCpu() {
        assertTrue(OpenBlas.AVAILABLE, "OpenBLAS did not load: " + OpenBlas.UNAVAILABLE_REASON);
        String chosen = CpuFeatures.HOST.openBlasCore();
        String env = System.getenv("OPENBLAS_CORETYPE");
        String expected = env != null && !env.isBlank() ? env : chosen;
        if (expected == null) {
            assertTrue(OpenBlas.CORE.endsWith("OpenBLAS's own detection"), OpenBlas.CORE);
        } else {
            assertTrue(OpenBlas.CORE.toLowerCase(Locale.ROOT).startsWith(expected.toLowerCase(Locale.ROOT) + " core"),
                    "OpenBLAS runs " + OpenBlas.CORE + ", expected " + expected + " on " + CpuFeatures.HOST.describe());
        }
    }
}
