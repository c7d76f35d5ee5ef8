package dev.iris.bench;

import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.backend.cuda.CudaAttentionBackend;
import dev.iris.backend.cuda.CudaComputeBackend;
import dev.iris.modelkit.lm.TextOnlyArchitecture;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.SafetensorsWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The CUDA backend's check on a GPU machine ({@code backends/cuda/gpu-check.sh}), one report:
 * every op against the CPU backend on random inputs, every fixture family's golden cases on
 * {@code --device cuda} (F32 math, greedy tokens must equal transformers'), and decode tokens/s
 * of a random-weight model with Qwen2-VL-2B's shapes at 1 and 16 streams (bf16 weights on
 * tensor cores), with the share of the GPU's peak memory bandwidth one stream reaches.
 *
 * <p>Usage: {@code GpuCheck <report.md> <testdata dir> <qwen2-vl-2b config.json> [model dir]}.
 * Exits 1 when an op or a golden case fails.
 */
public final class GpuCheck {

    private static final int NEW_TOKENS = 64;

    private GpuCheck() {
    }

    public static void main(String[] args) throws Exception {
        Path report = Path.of(args[0]);
        Path testdata = Path.of(args[1]);
        Path config = Path.of(args[2]);
        Path modelDir = Path.of(args.length > 3 ? args[3] : "/tmp/iris-gpu-check/qwen2-vl-2b-random");
        StringBuilder md = new StringBuilder();
        CudaComputeBackend fast = new CudaComputeBackend();
        if (!fast.isAvailable()) {
            md.append("# CUDA backend check\n\nNot run: ").append(fast.unavailableReason()).append('\n');
            Files.writeString(report, md);
            System.err.println(fast.unavailableReason());
            System.exit(1);
        }
        md.append("# CUDA backend check\n\nRun ").append(LocalDateTime.now().withNano(0)).append(" by `backends/cuda/gpu-check.sh`")
                .append(" on ").append(fast.deviceDescription()).append(String.format(Locale.ROOT,
                        ", peak memory bandwidth %.0f GB/s.%n%n", fast.peakBandwidth() / 1e9));

        List<OpParity.Result> ops = new OpParity(new CpuComputeBackend(), new CpuAttentionBackend(), fast,
                new CudaAttentionBackend()).run();
        md.append("## Ops against the CPU backend\n\nRandom inputs, the same on both; error = largest absolute difference"
                + " over the CPU result's largest magnitude.\n\n| op | shape | error | tolerance | |\n|---|---|---|---|---|\n");
        for (OpParity.Result r : ops) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %.2e | %.0e | %s |%n", r.op(), r.shape(), r.relativeError(),
                    r.tolerance(), r.passed() ? "ok" : "**FAILED**"));
        }

        System.setProperty("iris.cuda.exact", "true");
        CudaComputeBackend exact = new CudaComputeBackend();
        System.clearProperty("iris.cuda.exact");
        List<GoldenCases.Result> goldens = GoldenCases.run(testdata, exact, new CudaAttentionBackend());
        md.append("\n## Golden cases on --device cuda\n\nEach fixture's rendered prompt and images, greedy, EOS ignored,"
                + " 16-bit weights widened to F32 (`iris.cuda.exact`).\n\n| model | case | transformers | cuda | |\n"
                + "|---|---|---|---|---|\n");
        for (GoldenCases.Result r : goldens) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", r.model(), r.testCase(),
                    Arrays.toString(r.expected()), Arrays.toString(r.got()), r.passed() ? "ok" : "**FAILED**"));
            System.out.println(r.model() + " " + r.testCase() + ": " + (r.passed() ? "ok" : "FAILED " + Arrays.toString(r.got())));
        }

        md.append(decode(fast, config, modelDir));
        Files.writeString(report, md);
        System.out.println(md);
        boolean ok = ops.stream().allMatch(OpParity.Result::passed) && goldens.stream().allMatch(GoldenCases.Result::passed);
        System.exit(ok ? 0 : 1);
    }

    /** Decode throughput at 1 and 16 streams, and one stream's share of the bandwidth (every weight read per token). */
    private static String decode(CudaComputeBackend cuda, Path config, Path modelDir) throws Exception {
        if (!Files.isDirectory(modelDir)) {
            RandomModelWriter.write(config, modelDir, 2L << 30);
        }
        long weightBytes = 0;
        try (SafetensorsWeights weights = SafetensorsWeights.open(modelDir, LoadProgress.NONE)) {
            for (String name : weights.names()) {
                if (!name.startsWith("visual.")) { // decoding never reads the vision tower
                    weightBytes += weights.get(name).data().byteSize();
                }
            }
        }
        StringBuilder b = new StringBuilder("\n## Decode throughput\n\n");
        try (LoadedModel loaded = LoadedModel.load(modelDir,
                List.of(new TextOnlyArchitecture(Set.of("Qwen2VLForConditionalGeneration"), "qwen2-vl")),
                cuda, new CudaAttentionBackend(), LoadProgress.NONE);
             Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(16, 65536, 0, false, 64, 8192))) {
            int vocab = loaded.model().spec().vocabSize();
            ThroughputBench.run(engine, 4, 8, vocab, 0);
            ThroughputBench.Figure one = ThroughputBench.run(engine, 1, NEW_TOKENS, vocab, 1);
            ThroughputBench.Figure sixteen = ThroughputBench.run(engine, 16, NEW_TOKENS, vocab, 16);
            double achieved = weightBytes * one.tokensPerSecond();
            b.append(String.format(Locale.ROOT, "Random-weight model with Qwen2-VL-2B's shapes (language model, %.2f GB of"
                            + " bf16 weights), greedy, %d new tokens per stream, page size 16.%n%n"
                            + "| streams | decode tokens/s | × one stream |%n|---|---|---|%n"
                            + "| 1 | %.1f | 1.00× |%n| 16 | %.1f | %.2f× |%n%n"
                            + "One stream reads every weight per token: %.0f GB/s of the GPU's %.0f GB/s peak (%.1f%%).%n",
                    weightBytes / 1e9, NEW_TOKENS, one.tokensPerSecond(), sixteen.tokensPerSecond(),
                    sixteen.tokensPerSecond() / one.tokensPerSecond(), achieved / 1e9, cuda.peakBandwidth() / 1e9,
                    100 * achieved / cuda.peakBandwidth()));
        }
        return b.toString();
    }
}
