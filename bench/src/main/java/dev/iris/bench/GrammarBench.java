package dev.iris.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link GrammarMaskBench} and, in the same run, the matrix work of one Qwen2-VL-2B decode
 * step ({@link DecodeBench}, Q8_0 — the fastest step, so the strictest ratio), and writes the
 * "Structured outputs" section of bench/RESULTS.md: the grammar's share of a decode step.
 * Usage: {@code GrammarBench [results.md] [threads]}, from the repository root.
 */
public final class GrammarBench {

    static final String HEADING = "## Structured outputs: token masks on the Qwen2 vocabulary";

    private GrammarBench() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "bench/RESULTS.md");
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        Options opts = new OptionsBuilder()
                .include(GrammarMaskBench.class.getSimpleName())
                .include(DecodeBench.class.getSimpleName())
                .param("dtype", "Q8_0").param("n", "1")
                .mode(org.openjdk.jmh.annotations.Mode.AverageTime)
                .timeUnit(TimeUnit.MICROSECONDS)
                .warmupIterations(3).warmupTime(TimeValue.seconds(2))
                .measurementIterations(5).measurementTime(TimeValue.seconds(2))
                .forks(1)
                .jvmArgsAppend("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                        "-Diris.cpu.threads=" + threads, "-Xmx6g")
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        double step = score(results, "maskStep");
        double cold = score(results, "coldAnswer");
        double compile = score(results, "compileTwentyProperties");
        double decode = score(results, "decodeStepMatmuls");
        String section = HEADING + "\n\n"
                + "Written by `GrammarBench` (JMH, 1 fork, 3 × 2 s warm-up, 5 × 2 s measured) on " + LocalDate.now()
                + "; " + BenchMain.cpuModel() + ", " + threads + " threads. The answer walked: the 3-line receipt of"
                + " `bench/src/main/resources/grammar/nested.instance.json` under `nested.schema.json`, as Qwen2"
                + " tokenizes it.\n\n"
                + "| figure | value |\n|---|---|\n"
                + String.format("| grammar work per decode step (mask of 151,936 tokens + logits + step), masks cached"
                + " | %.1f µs |%n", step)
                + String.format("| Qwen2-VL-2B decode step, matrix work alone (Q8_0, 1 row; DecodeBench, same run) |"
                + " %.1f ms |%n", decode / 1000)
                + String.format("| **grammar ÷ decode step** | **%.2f%%** (target ≤ 5%%) |%n", 100 * step / decode)
                + String.format("| the whole answer with a fresh schema (masks computed as reached), per token | %.2f ms"
                + " |%n", cold / 1000 / GrammarBench.answerTokens())
                + String.format("| compiling a 20-property schema (`twenty-properties.schema.json`) | %.2f ms (target"
                + " < 50 ms) |%n", compile / 1000);
        BenchMain.replaceSection(out, HEADING, section);
        System.out.println(section);
    }

    /** Tokens of the benchmark's answer (read from a fresh state, as JMH's is in its fork). */
    private static int answerTokens() {
        GrammarMaskBench b = new GrammarMaskBench();
        b.tokenizer = "testdata/tokenizers/qwen2.tokenizer.json.gz";
        try {
            b.setup();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return b.answerTokens();
    }

    private static double score(Collection<RunResult> results, String method) {
        return results.stream().filter(r -> r.getParams().getBenchmark().endsWith("." + method)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no result for " + method))
                .getPrimaryResult().getScore();
    }
}
