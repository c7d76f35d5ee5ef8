package dev.iris.bench;

import dev.iris.api.tensor.DType;
import jdk.incubator.vector.FloatVector;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs every benchmark once with JMH and writes {@code RESULTS.md}: each figure in GB/s or
 * GFLOP/s, the ratios to the naive loops and to the machine's stream bandwidth measured in the
 * same run, and the targets of issue #3.
 *
 * <p>Usage: {@code BenchMain <results.md> [threads]}.
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "bench/RESULTS.md");
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        Options opts = new OptionsBuilder()
                .include(StreamBench.class.getSimpleName())
                .include(DecodeBench.class.getSimpleName())
                .include(PrefillBench.class.getSimpleName())
                .include(KernelVsNaiveBench.class.getSimpleName())
                .include(AttentionDecodeBench.class.getSimpleName())
                .mode(org.openjdk.jmh.annotations.Mode.AverageTime)
                .timeUnit(TimeUnit.MILLISECONDS)
                .warmupIterations(3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(3).measurementTime(TimeValue.seconds(2))
                .forks(1)
                .jvmArgsAppend("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                        "-Diris.cpu.threads=" + threads, "-Xmx6g")
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        String report = report(results, threads);
        String kept = "";
        if (Files.exists(out)) {
            String old = Files.readString(out);
            kept = section(old, ThroughputBench.HEADING) + section(old, VisionBench.HEADING);
        }
        Files.writeString(out, kept.isEmpty() ? report : report + "\n" + kept);
        System.out.println(report);
    }

    /** The section of {@code markdown} under {@code heading}, up to the next second-level heading; "" if absent. */
    static String section(String markdown, String heading) {
        int at = markdown.indexOf(heading + "\n");
        if (at < 0) {
            return "";
        }
        int end = markdown.indexOf("\n## ", at + heading.length());
        return end < 0 ? markdown.substring(at) : markdown.substring(at, end + 1);
    }

    /** Writes {@code body} (starting with {@code heading}) over that section of the file, or at its end. */
    static void replaceSection(Path file, String heading, String body) throws IOException {
        String text = Files.exists(file) ? Files.readString(file) : "";
        String old = section(text, heading);
        if (old.isEmpty()) {
            text = text.isEmpty() || text.endsWith("\n\n") ? text + body : text.stripTrailing() + "\n\n" + body;
        } else {
            int at = text.indexOf(old);
            text = text.substring(0, at) + body + text.substring(at + old.length());
        }
        Files.writeString(file, text);
    }

    /** Milliseconds per op of the benchmark whose class is {@code bench} with these parameter values. */
    private static double ms(Collection<RunResult> results, Class<?> bench, Map<String, String> params) {
        for (RunResult r : results) {
            var p = r.getParams();
            if (!p.getBenchmark().contains("." + bench.getSimpleName() + ".")) {
                continue;
            }
            if (params.entrySet().stream().allMatch(e -> e.getValue().equals(p.getParam(e.getKey())))) {
                return r.getPrimaryResult().getScore();
            }
        }
        throw new IllegalStateException("no result for " + bench.getSimpleName() + " " + params);
    }

    static String report(Collection<RunResult> r, int threads) {
        List<String> lines = new ArrayList<>();
        lines.add("# CPU backend benchmarks");
        lines.add("");
        lines.add("Written by `bench/run.sh` (JMH, 1 fork, 3 × 1 s warm-up, 3 × 2 s measured, average time per op) on "
                + LocalDate.now() + ".");
        lines.add("");
        lines.add("- Machine: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        lines.add("- JDK: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        lines.add("- Threads: " + threads + "; Vector API species: " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits");
        lines.add("- Shapes: Qwen2-VL-2B-Instruct (`bench/configs/qwen2-vl-2b-instruct.config.json`), random weights");
        lines.add("");

        double streamMs = ms(r, StreamBench.class, Map.of());
        double stream = gbs(StreamBench.BYTES, streamMs);
        lines.add("## Memory bandwidth");
        lines.add("");
        lines.add(String.format(Locale.ROOT, "Plain vectorised read of 2 GiB, %d threads: **%.1f GB/s**.", threads, stream));
        lines.add("");

        lines.add("## Decode: all LM projections of one step (28 layers + LM head)");
        lines.add("");
        lines.add("| weights | rows (n) | ms/step | weight GB/s | % of stream bandwidth | matmul-bound tokens/s |");
        lines.add("|---|---|---|---|---|---|");
        for (String dt : List.of("BF16", "F16")) {
            for (String n : List.of("1", "8")) {
                double t = ms(r, DecodeBench.class, Map.of("dtype", dt, "n", n));
                double g = gbs(DecodeBench.weightBytes(DType.valueOf(dt)), t);
                lines.add(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.0f%% | %.1f |", dt, n, t, g,
                        100 * g / stream, Integer.parseInt(n) * 1000 / t));
            }
        }
        lines.add("");

        lines.add("## Prefill and vision GEMM");
        lines.add("");
        lines.add("| weights | op | rows (n) | ms/op (shipped: OpenBLAS) | GFLOP/s | GFLOP/s, Vector API kernel alone |");
        lines.add("|---|---|---|---|---|---|");
        for (String dt : List.of("BF16", "F16", "F32")) {
            for (String shape : List.of("lm.gate_proj", "visual.mlp.fc1")) {
                double t = ms(r, PrefillBench.class, Map.of("dtype", dt, "shape", shape, "path", "openblas"));
                double tv = ms(r, PrefillBench.class, Map.of("dtype", dt, "shape", shape, "path", "vector"));
                Shapes.Matrix m = PrefillBench.matrix(shape);
                double flops = 2.0 * PrefillBench.tokens(shape) * m.params();
                lines.add(String.format(Locale.ROOT, "| %s | %s %d×%d | %d | %.1f | %.1f | %.1f |", dt, shape, m.rows(),
                        m.cols(), PrefillBench.tokens(shape), t, gflops(flops, t), gflops(flops, tv)));
            }
        }
        lines.add("");

        lines.add("## Kernels against the naive loops (BF16, same run)");
        lines.add("");
        lines.add("| op | vector ms | naive ms (1 thread) | speed-up | vector GFLOP/s | vector weight GB/s |");
        lines.add("|---|---|---|---|---|---|");
        for (String op : List.of("gemv.down_proj", "gemm32.gate_proj")) {
            double v = ms(r, KernelVsNaiveBench.class, Map.of("op", op, "impl", "vector"));
            double nv = ms(r, KernelVsNaiveBench.class, Map.of("op", op, "impl", "naive"));
            Shapes.Matrix m = KernelVsNaiveBench.matrix(op);
            lines.add(String.format(Locale.ROOT, "| %s (n=%d, %d×%d) | %.3f | %.3f | %.1f× | %.1f | %.1f |", op,
                    KernelVsNaiveBench.rows(op), m.rows(), m.cols(), v, nv, nv / v,
                    gflops(2.0 * KernelVsNaiveBench.rows(op) * m.params(), v), gbs(m.params() * 2, v)));
        }
        lines.add("");

        lines.add("## Attention decode (one layer, 12 heads / 2 KV heads × 128, pages of 16)");
        lines.add("");
        lines.add("| cached tokens | vector ms | naive ms (1 thread) | speed-up | K/V GB/s |");
        lines.add("|---|---|---|---|---|");
        for (String ctx : List.of("1024", "8192")) {
            double v = ms(r, AttentionDecodeBench.class, Map.of("context", ctx, "impl", "vector"));
            double nv = ms(r, AttentionDecodeBench.class, Map.of("context", ctx, "impl", "naive"));
            lines.add(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.1f× | %.1f |", ctx, v, nv, nv / v,
                    gbs(AttentionDecodeBench.bytes(Integer.parseInt(ctx)), v)));
        }
        lines.add("");

        double decodeBf16 = gbs(DecodeBench.weightBytes(DType.BF16), ms(r, DecodeBench.class, Map.of("dtype", "BF16", "n", "1")));
        double prefillBf16 = gflops(2.0 * PrefillBench.tokens("lm.gate_proj") * Shapes.GATE.params(),
                ms(r, PrefillBench.class, Map.of("dtype", "BF16", "shape", "lm.gate_proj", "path", "openblas")));
        lines.add("## Targets (issue #3)");
        lines.add("");
        lines.add(String.format(Locale.ROOT, "- Decode GEMV, BF16: %.1f GB/s = %.0f%% of the %.1f GB/s stream bandwidth"
                + " (target ≥ 70%%): %s", decodeBf16, 100 * decodeBf16 / stream, stream,
                decodeBf16 >= 0.7 * stream ? "met" : "missed"));
        lines.add(String.format(Locale.ROOT, "- Prefill GEMM, BF16: %.1f GFLOP/s (target ≥ 130): %s", prefillBf16,
                prefillBf16 >= 130 ? "met" : "missed"));
        lines.add("");
        return lines.stream().collect(Collectors.joining("\n"));
    }

    private static double gbs(long bytes, double ms) {
        return bytes / (ms / 1000) / 1e9;
    }

    private static double gflops(double flops, double ms) {
        return flops / (ms / 1000) / 1e9;
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }
}
