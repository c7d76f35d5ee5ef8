package dev.iris.bench;

import dev.iris.api.sampling.SamplingParams;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.modelkit.lm.TextOnlyArchitecture;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.TokenEvent;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.weights.LoadProgress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * The engine's decode throughput with 1, 4 and 16 concurrent greedy streams on one model, all in
 * one run: each stream gets its own random prompt, the same number of new tokens, and ignores EOS.
 * Tokens/s counts the tokens produced between the moment the last stream got its first token
 * (every prompt computed) and the moment the first stream ended (all still decoding), so only
 * steps that decode every stream are measured. The figures replace their section of
 * {@code RESULTS.md}.
 *
 * <p>The model's language model runs alone ({@link TextOnlyArchitecture}): decoding never touches
 * the vision tower. Usage: {@code ThroughputBench <model dir> <results.md> [new tokens, default 32]}.
 */
public final class ThroughputBench {

    static final String HEADING = "## Engine: decode throughput with concurrent streams";
    private static final int[] STREAMS = {1, 4, 16};
    private static final int PROMPT_TOKENS = 32;

    private ThroughputBench() {
    }

    /** One measured run. */
    record Figure(int streams, double tokensPerSecond, int measuredTokens, double seconds) {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        Path results = Path.of(args[1]);
        int newTokens = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        List<Figure> figures = new ArrayList<>();
        try (LoadedModel loaded = LoadedModel.load(model,
                List.of(new TextOnlyArchitecture(Set.of("Qwen2VLForConditionalGeneration"), "qwen2-vl")),
                new CpuComputeBackend(), new CpuAttentionBackend(), LoadProgress.NONE);
             Engine engine = loaded.newEngine(new DefaultSampler(),
                     new EngineOptions(16, 16 * (PROMPT_TOKENS + newTokens + 16), 0, false, 64, 8192))) {
            int vocab = loaded.model().spec().vocabSize();
            run(engine, 4, 4, vocab, 0); // warm-up: compiles every kernel path a measured run takes
            for (int streams : STREAMS) {
                Figure f = run(engine, streams, newTokens, vocab, streams);
                figures.add(f);
                System.out.printf(Locale.ROOT, "%2d streams: %.2f tokens/s (%d tokens in %.2f s)%n",
                        streams, f.tokensPerSecond(), f.measuredTokens(), f.seconds());
            }
        }
        String section = section(figures, newTokens, model);
        BenchMain.replaceSection(results, HEADING, section);
        System.out.println(section);
    }

    static Figure run(Engine engine, int streams, int newTokens, int vocab, long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        ConcurrentLinkedQueue<long[]> events = new ConcurrentLinkedQueue<>(); // {stream, nanos}
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            int[] prompt = random.ints(PROMPT_TOKENS, 0, vocab).toArray();
            GenerationRequest r = new GenerationRequest(prompt, List.of(), SamplingParams.GREEDY,
                    new StopConditions(List.of(), Set.of(), Set.of(), true, false, newTokens, 0, Integer.MAX_VALUE));
            CompletableFuture<Void> end = new CompletableFuture<>();
            int stream = s;
            engine.stream(r).subscribe(new Flow.Subscriber<>() {
                public void onSubscribe(Flow.Subscription sub) {
                    sub.request(Long.MAX_VALUE);
                }

                public void onNext(TokenEvent e) {
                    events.add(new long[]{stream, System.nanoTime()});
                }

                public void onError(Throwable t) {
                    end.completeExceptionally(t);
                }

                public void onComplete() {
                    end.complete(null);
                }
            });
            done.add(end);
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(30, TimeUnit.MINUTES);
        long[] first = new long[streams];
        long[] last = new long[streams];
        for (long[] e : events) {
            int s = (int) e[0];
            first[s] = first[s] == 0 ? e[1] : Math.min(first[s], e[1]);
            last[s] = Math.max(last[s], e[1]);
        }
        long from = Long.MIN_VALUE;
        long to = Long.MAX_VALUE;
        for (int s = 0; s < streams; s++) {
            from = Math.max(from, first[s]);
            to = Math.min(to, last[s]);
        }
        int tokens = 0;
        for (long[] e : events) {
            if (e[1] > from && e[1] <= to) {
                tokens++;
            }
        }
        double seconds = (to - from) / 1e9;
        return new Figure(streams, tokens / seconds, tokens, seconds);
    }

    private static String section(List<Figure> figures, int newTokens, Path model) {
        StringBuilder b = new StringBuilder();
        b.append(HEADING).append("\n\n");
        b.append(String.format(Locale.ROOT, "Written by `bench/run.sh` (`ThroughputBench`) on %s: %s (random weights, "
                        + "language model only), %d threads, greedy, %d-token random prompts, %d new tokens per stream, "
                        + "ignore_eos, page size 16, prefix cache off. Tokens/s over the steps in which every stream "
                        + "decodes.%n%n", LocalDate.now(), model.getFileName(), Integer.getInteger("iris.cpu.threads",
                        Runtime.getRuntime().availableProcessors()), PROMPT_TOKENS, newTokens));
        b.append("| streams | decode tokens/s | × one stream | measured tokens | seconds |\n|---|---|---|---|---|\n");
        double one = figures.getFirst().tokensPerSecond();
        for (Figure f : figures) {
            b.append(String.format(Locale.ROOT, "| %d | %.2f | %.2f× | %d | %.2f |%n", f.streams(), f.tokensPerSecond(),
                    f.tokensPerSecond() / one, f.measuredTokens(), f.seconds()));
        }
        double sixteen = figures.getLast().tokensPerSecond() / one;
        b.append(String.format(Locale.ROOT, "%nTarget (issue #5): 16 streams at least 4× the tokens/s of one: %.2f×, %s.%n",
                sixteen, sixteen >= 4 ? "met" : "not met"));
        return b.toString();
    }
}
