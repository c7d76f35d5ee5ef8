package dev.iris.model.qwen2vl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.SequenceInput;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.api.tensor.Tensor;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.runtime.model.LoadedModel;
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
import java.util.Arrays;
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

    /**
     * One forward pass of the collapsed golden prompt, expanded by {@code loaded}'s model, with the
     * images' features spliced in: the logits of every position ({@code allRows}) or of the last.
     */
    float[] promptLogits(LoadedModel loaded, List<? extends ProcessedImage> images, boolean allRows) {
        VisionLanguageModel model = loaded.model();
        PreparedPrompt p = model.preparePrompt(collapsedPrompt(), List.copyOf(images));
        int n = p.tokenIds().length;
        CpuAttentionBackend attention = new CpuAttentionBackend();
        try (KvCache cache = attention.createCache(new KvCacheSpec(model.spec().layers(), model.spec().kvHeads(),
                model.spec().headDim(), 16, (n + 15) / 16))) {
            int[] pages = new int[(n + 15) / 16];
            Arrays.setAll(pages, i -> i);
            List<SequenceInput.EmbeddingSplice> splices = new ArrayList<>();
            for (PreparedPrompt.ImageSpan span : p.imageSpans()) {
                splices.add(new SequenceInput.EmbeddingSplice(span.start(), model.encodeImage(images.get(span.image())), 0,
                        span.length()));
            }
            SequenceInput in = new SequenceInput(p.tokenIds(), p.positions(), AttentionSequence.selfOnly(0, n, 0, pages),
                    splices, null, allRows ? n : 1);
            Tensor logits = model.forward(new ForwardBatch(List.of(in), cache, null));
            return loaded.compute().toFloats(logits);
        }
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
