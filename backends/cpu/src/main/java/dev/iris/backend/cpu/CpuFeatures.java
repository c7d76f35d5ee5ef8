package dev.iris.backend.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What this CPU offers for the kernels, read once from {@code /proc/cpuinfo}: its model name and
 * the instruction-set flags that decide which native kernels are worth using. The machines Iris
 * runs on differ (Intel with AMX, AMD Zen 5 with AVX-512 but no AMX, older AVX2 parts), so
 * nothing is assumed; where the file cannot be read (not Linux, a sandbox) the set is empty and
 * every library keeps its own detection.
 */
record CpuFeatures(String model, Set<String> flags) {

    /** The flags that matter to a kernel choice, in the order the start-up line lists them. */
    static final List<String> RELEVANT = List.of("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq",
            "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_int8", "amx_tile");

    static final CpuFeatures HOST = detect(Path.of("/proc/cpuinfo"));

    CpuFeatures {
        flags = Set.copyOf(flags);
    }

    static CpuFeatures detect(Path cpuinfo) {
        try {
            return parse(Files.readString(cpuinfo));
        } catch (IOException | RuntimeException e) {
            return new CpuFeatures("unknown CPU", Set.of());
        }
    }

    /** The first processor's {@code model name} and {@code flags} lines (all cores of a machine are alike). */
    static CpuFeatures parse(String cpuinfo) {
        String model = "unknown CPU";
        Set<String> flags = new LinkedHashSet<>();
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (key.equals("model name") && model.equals("unknown CPU")) {
                model = value;
            } else if (key.equals("flags") && flags.isEmpty()) {
                flags.addAll(Arrays.asList(value.toLowerCase(Locale.ROOT).split("\\s+")));
            }
        }
        return new CpuFeatures(model, flags);
    }

    boolean has(String flag) {
        return flags.contains(flag);
    }

    /** The AVX-512 subset OpenBLAS's SkylakeX kernels need. */
    boolean avx512() {
        return has("avx512f") && has("avx512bw") && has("avx512vl") && has("avx512dq");
    }

    /** AVX-512 with the BF16 dot product (VDPBF16PS) that the native BF16 kernels use. */
    boolean avx512Bf16() {
        return avx512() && has("avx512_bf16");
    }

    /** AVX-512 with VNNI's int8 dot products (VPDPBUSD), for Q8_0 weights. */
    boolean avx512Vnni() {
        return avx512() && has("avx512_vnni");
    }

    /**
     * The OpenBLAS core whose kernels fit this CPU, or null to leave the choice to OpenBLAS.
     * OpenBLAS's own detection knows Intel's models by number and falls back to its AVX2
     * ("Haswell") kernels on CPUs it does not recognise, among them AVX-512 AMD Zen 4/5, where its
     * AVX-512 kernels are about 1.7× faster (bench/RESULTS.md).
     */
    String openBlasCore() {
        if (has("amx_bf16") && avx512()) {
            return "SapphireRapids";
        }
        if (avx512Bf16()) {
            return "Cooperlake";
        }
        if (avx512()) {
            return "SkylakeX";
        }
        if (has("avx2") && has("fma")) {
            return "Haswell";
        }
        return null;
    }

    /** "AMD EPYC (avx2 fma avx512f … avx512_bf16)" — the relevant flags this CPU has. */
    String describe() {
        StringBuilder s = new StringBuilder(model).append(" (");
        String sep = "";
        for (String f : RELEVANT) {
            if (has(f)) {
                s.append(sep).append(f);
                sep = " ";
            }
        }
        return s.append(sep.isEmpty() ? "no AVX2 or AVX-512" : "").append(')').toString();
    }
}
