package dev.iris.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.media.MediaLoader;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.weights.LoadProgress;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * The fixtures' golden cases on a backend: each case's rendered prompt and images through the
 * family's tokenizer and processor, greedy with EOS ignored for as many tokens as transformers
 * produced, and the tokens compared with transformers' (testdata/golden/MODEL/CASE.json).
 */
final class GoldenCases {

    /** One case's outcome. */
    record Result(String model, String testCase, int[] expected, int[] got) {
        boolean passed() {
            return Arrays.equals(expected, got);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private GoldenCases() {
    }

    static List<Result> run(Path testdata, ComputeBackend compute, AttentionBackend attention) throws IOException {
        List<ModelArchitecture> families = ServiceLoader.load(ModelArchitecture.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        MediaLoader images = new MediaLoader(MediaOptions.defaults()
                .withAllowedLocalPaths(List.of(testdata.resolve("images").toAbsolutePath())));
        List<Result> results = new ArrayList<>();
        try (DirectoryStream<Path> models = Files.newDirectoryStream(testdata.resolve("golden"), Files::isDirectory)) {
            for (Path goldens : sorted(models)) {
                Path dir = testdata.resolve("models").resolve(goldens.getFileName());
                try (LoadedModel loaded = LoadedModel.load(dir, families, compute, attention, LoadProgress.NONE);
                     Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 4096, 0, true, 8, 256))) {
                    try (DirectoryStream<Path> cases = Files.newDirectoryStream(goldens, "*.json")) {
                        for (Path file : sorted(cases)) {
                            results.add(run(file, loaded, engine, images, testdata));
                        }
                    }
                }
            }
        }
        return results;
    }

    private static Result run(Path file, LoadedModel loaded, Engine engine, MediaLoader images, Path testdata)
            throws IOException {
        JsonNode golden = JSON.readTree(file.toFile());
        int[] expected = ints(golden.path("greedy").path("new_tokens_ignore_eos"));
        int[] prompt = loaded.tokenizer().encodePrompt(golden.path("rendered_prompt").asText());
        List<String> references = new ArrayList<>();
        golden.path("image_files").forEach(f -> references.add(testdata.resolve(f.asText()).toAbsolutePath().toUri().toString()));
        List<ProcessedImage> processed = new ArrayList<>();
        ImageProcessor processor = loaded.model().imageProcessor().forRequest(references.size());
        for (RgbaImage image : images.load(references)) {
            processed.add(processor.process(image, JsonConfigView.empty("golden")));
        }
        GenerationResult r = engine.generate(new GenerationRequest(prompt, processed, SamplingParams.GREEDY,
                new StopConditions(List.of(), Set.of(), Set.of(), true, false, expected.length, 0, Integer.MAX_VALUE)));
        String model = file.getParent().getFileName().toString();
        String name = file.getFileName().toString().replace(".json", "");
        return new Result(model, name, expected, r.outputIds());
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static List<Path> sorted(DirectoryStream<Path> paths) {
        List<Path> out = new ArrayList<>();
        paths.forEach(out::add);
        out.sort(null);
        return out;
    }
}
