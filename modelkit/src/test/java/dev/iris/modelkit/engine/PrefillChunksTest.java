package dev.iris.modelkit.engine;

import dev.iris.api.sampling.SamplingParams;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.modelkit.lm.TextOnlyArchitecture;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.weights.LoadProgress;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Prompt chunks sized by time: with a step target, a long prompt is computed in chunks well under
 * the fixed cap — as many tokens as the measured speed allows in the target — and its answer is
 * the one the whole prompt gives in one step.
 */
class PrefillChunksTest {

    private static final Path MODEL = Path.of("../testdata/models/tiny-qwen2-vl");
    private static final Pattern PREFILL = Pattern.compile("#new-token: (\\d+)");

    @Test
    void aStepTargetCutsALongPromptIntoChunksThatGiveTheSameAnswer() throws Exception {
        try (LoadedModel loaded = LoadedModel.load(MODEL, List.of(new TextOnlyArchitecture(
                Set.of("Qwen2VLForConditionalGeneration"), "qwen2-vl")), new CpuComputeBackend(), new CpuAttentionBackend(),
                LoadProgress.NONE)) {
            int[] prompt = loaded.tokenizer().encode("a long prompt of many words. ".repeat(100), true);
            GenerationRequest request = new GenerationRequest(prompt, List.of(), SamplingParams.GREEDY,
                    new StopConditions(List.of(), Set.of(), Set.of(), true, false, 4, 0, Integer.MAX_VALUE));
            GenerationResult whole;
            try (Engine oneStep = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 8192, 0, false, 4, 8192))) {
                whole = oneStep.generate(request);
            }
            List<String> lines;
            try (EngineLog log = new EngineLog(); Engine timed = loaded.newEngine(new DefaultSampler(),
                    new EngineOptions(4, 8192, 0, false, 4, 8192).withPrefillStepTarget(0.001))) {
                GenerationResult chunked = timed.generate(request);
                assertArrayEquals(whole.outputIds(), chunked.outputIds());
                lines = List.copyOf(log.lines);
            }
            List<Integer> chunks = new ArrayList<>();
            for (String line : lines) {
                Matcher m = PREFILL.matcher(line);
                if (m.find()) {
                    chunks.add(Integer.parseInt(m.group(1)));
                }
            }
            assertTrue(prompt.length > 2000, "a long prompt: " + prompt.length);
            assertTrue(chunks.size() > 2, "computed in several steps: " + chunks);
            assertTrue(chunks.stream().allMatch(c -> c < prompt.length), "each chunk a part of it: " + chunks);
            assertTrue(chunks.stream().mapToInt(Integer::intValue).sum() == prompt.length, chunks.toString());
        }
    }
}
