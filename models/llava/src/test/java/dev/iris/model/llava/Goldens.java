package dev.iris.model.llava;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.model.SequenceInput;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.media.MediaLoader;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.stop.StopConditions;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The LLaVA tests' access to testdata: images, golden cases, and a prompt's logits at every position. */
final class Goldens {

    static final Path TESTDATA = Path.of("../../testdata");

    private Goldens() {
    }

    /** A testdata image, decoded as the server decodes uploads. */
    static RgbaImage decode(String testdataImage) throws IOException {
        byte[] bytes = Files.readAllBytes(TESTDATA.resolve(testdataImage));
        return new MediaLoader(MediaOptions.defaults())
                .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(bytes))).getFirst();
    }

    static float[] floats(WeightTensor t) {
        return t.data().toArray(ValueLayout.JAVA_FLOAT);
    }

    static void assertClose(float[] expected, float[] got, double tolerance) {
        assertEquals(expected.length, got.length);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - got[i]));
        }
        assertTrue(worst <= tolerance, "largest difference " + worst + " (tolerance " + tolerance + ")");
    }

    static JsonNode golden(String model, String name) throws IOException {
        return new ObjectMapper().readTree(TESTDATA.resolve("golden").resolve(model).resolve(name + ".json").toFile());
    }

    static Path goldenTensors(String model, String name) {
        return TESTDATA.resolve("golden").resolve(model).resolve(name + ".safetensors");
    }

    /** The golden case's images through the model's processor. */
    static List<ProcessedImage> images(LoadedModel loaded, JsonNode golden) throws IOException {
        List<ProcessedImage> out = new ArrayList<>();
        for (JsonNode f : golden.get("image_files")) {
            out.add(loaded.model().imageProcessor().process(decode(f.asText()), JsonConfigView.parse("none", "{}")));
        }
        return out;
    }

    /** The golden's expanded prompt ids. */
    static int[] inputIds(JsonNode golden) {
        int[] ids = new int[golden.get("input_ids").size()];
        Arrays.setAll(ids, i -> golden.get("input_ids").get(i).asInt());
        return ids;
    }

    /** The golden prompt with each image's run of placeholders collapsed to one, as a tokenizer gives it. */
    static int[] collapsed(JsonNode golden) {
        int image = golden.get("image_token_id").asInt();
        List<Integer> ids = new ArrayList<>();
        for (JsonNode id : golden.get("input_ids")) {
            if (id.asInt() != image || ids.isEmpty() || ids.getLast() != image) {
                ids.add(id.asInt());
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** transformers' greedy continuation of the golden case (EOS ignored). */
    static int[] greedyTokens(JsonNode golden) {
        JsonNode greedy = golden.get("greedy").get("new_tokens_ignore_eos");
        int[] expected = new int[greedy.size()];
        Arrays.setAll(expected, i -> greedy.get(i).asInt());
        return expected;
    }

    /** The golden case's greedy request, as long as its continuation, its images through the model's processor. */
    static GenerationRequest greedyRequest(LoadedModel loaded, JsonNode golden) throws IOException {
        return new GenerationRequest(collapsed(golden), images(loaded, golden), SamplingParams.GREEDY,
                new StopConditions(List.of(), Set.of(), Set.of(), true, false, greedyTokens(golden).length, 0,
                        Integer.MAX_VALUE));
    }

    /** One forward pass over an expanded prompt with its images' features spliced in: {@code [length, vocab]} logits. */
    static float[] promptLogits(LoadedModel loaded, PreparedPrompt p, List<ProcessedImage> images) {
        int n = p.tokenIds().length;
        CpuAttentionBackend attention = new CpuAttentionBackend();
        var spec = loaded.model().spec();
        int[] pages = new int[(n + 15) / 16];
        Arrays.setAll(pages, i -> i);
        try (KvCache cache = attention.createCache(new KvCacheSpec(spec.layers(), spec.kvHeads(), spec.headDim(), 16,
                pages.length))) {
            List<SequenceInput.EmbeddingSplice> splices = new ArrayList<>();
            for (PreparedPrompt.ImageSpan span : p.imageSpans()) {
                splices.add(new SequenceInput.EmbeddingSplice(span.start(),
                        loaded.model().encodeImage(images.get(span.image())), 0, span.length()));
            }
            SequenceInput in = new SequenceInput(p.tokenIds(), p.positions(), AttentionSequence.selfOnly(0, n, 0, pages),
                    splices, null, n);
            Tensor logits = loaded.model().forward(new ForwardBatch(List.of(in), cache, null));
            return loaded.compute().toFloats(logits);
        }
    }
}
