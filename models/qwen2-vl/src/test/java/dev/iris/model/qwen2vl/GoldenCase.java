package dev.iris.model.qwen2vl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.media.MediaLoader;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.weights.SafetensorsFile;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * One golden case of tiny-qwen2-vl (testdata/golden/tiny-qwen2-vl/NAME.{json,safetensors}, from
 * the shared fixtures' transformers run): its JSON, its tensors, and the request the server would
 * build from it.
 */
final class GoldenCase {

    static final Path MODEL = Path.of("../../testdata/models/tiny-qwen2-vl");
    private static final Path GOLDENS = Path.of("../../testdata/golden/tiny-qwen2-vl");
    private static final Path TESTDATA = Path.of("../../testdata");

    final JsonNode json;
    private final SafetensorsFile tensors;

    private GoldenCase(JsonNode json, SafetensorsFile tensors) {
        this.json = json;
        this.tensors = tensors;
    }

    /** The case {@code name}; its tensors live as long as {@code arena}. */
    static GoldenCase load(String name, Arena arena) throws IOException {
        return new GoldenCase(new ObjectMapper().readTree(GOLDENS.resolve(name + ".json").toFile()),
                SafetensorsFile.open(GOLDENS.resolve(name + ".safetensors"), arena));
    }

    long[] longs(String name) {
        return tensors.tensors().get(name).data().toArray(ValueLayout.JAVA_LONG);
    }

    float[] floats(String name) {
        WeightTensor t = tensors.tensors().get(name);
        return t.data().toArray(ValueLayout.JAVA_FLOAT);
    }

    /** The case's image files (testdata/images), decoded and processed as the server does. */
    List<Qwen2VlImage> images() throws IOException {
        Qwen2VlImageProcessor processor = new Qwen2VlImageProcessor(
                JsonConfigView.read(MODEL.resolve("preprocessor_config.json"), false));
        return images(processor).stream().map(Qwen2VlImage.class::cast).toList();
    }

    /** The case's image files processed by {@code processor}. */
    List<ProcessedImage> images(ImageProcessor processor) throws IOException {
        List<ProcessedImage> out = new ArrayList<>();
        for (JsonNode file : json.get("image_files")) {
            byte[] png = Files.readAllBytes(TESTDATA.resolve(file.asText()));
            RgbaImage rgba = new MediaLoader(MediaOptions.defaults())
                    .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(png))).getFirst();
            out.add(processor.process(rgba, JsonConfigView.parse("none", "{}")));
        }
        return out;
    }

    /** The golden prompt with each image's run of placeholders collapsed to one, as a tokenizer gives it. */
    int[] collapsedPrompt() {
        int imageToken = json.get("image_token_id").asInt();
        List<Integer> ids = new ArrayList<>();
        for (JsonNode id : json.get("input_ids")) {
            if (id.asInt() != imageToken || ids.isEmpty() || ids.getLast() != imageToken) {
                ids.add(id.asInt());
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** transformers' greedy continuation (EOS ignored). */
    int[] greedyTokens() {
        JsonNode greedy = json.get("greedy").get("new_tokens_ignore_eos");
        int[] out = new int[greedy.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = greedy.get(i).asInt();
        }
        return out;
    }

    /** The greedy request for this case, as long as the golden continuation. */
    GenerationRequest greedyRequest() throws IOException {
        return greedyRequest(List.copyOf(images()));
    }

    /** The greedy request for this case with these processed images. */
    GenerationRequest greedyRequest(List<ProcessedImage> images) {
        return new GenerationRequest(collapsedPrompt(), images, SamplingParams.GREEDY,
                new StopConditions(List.of(), Set.of(), Set.of(), true, false, greedyTokens().length, 0,
                        Integer.MAX_VALUE));
    }
}
