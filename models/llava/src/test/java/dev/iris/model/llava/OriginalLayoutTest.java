package dev.iris.model.llava;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.SafetensorsFile;
import dev.iris.runtime.weights.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.iris.model.llava.Goldens.TESTDATA;
import static dev.iris.model.llava.Goldens.assertClose;
import static dev.iris.model.llava.Goldens.collapsed;
import static dev.iris.model.llava.Goldens.decode;
import static dev.iris.model.llava.Goldens.floats;
import static dev.iris.model.llava.Goldens.golden;
import static dev.iris.model.llava.Goldens.goldenTensors;
import static dev.iris.model.llava.Goldens.images;
import static dev.iris.model.llava.Goldens.inputIds;
import static dev.iris.model.llava.Goldens.promptLogits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The original LLaVA layout that SGLang serves ({@code LlavaLlamaForCausalLM},
 * {@code LlavaMistralForCausalLM}, {@code LlavaQwenForCausalLM}; spec llava.md §2.4, §3.2, §4.3,
 * §4.4.2). No reference outputs exist for it, so each checkpoint is derived here from a tiny
 * llava-hf fixture: every tensor renamed to the original names (plus the buffers old checkpoints
 * carry), the config flattened to the {@code mm_*} keys, the vision tower's config and processor
 * settings in a directory that {@code mm_vision_tower} points to. Where the conventions agree it
 * must compute what the fixture computes; where SGLang reads differently, it must follow SGLang.
 */
class OriginalLayoutTest {

    private static final Map<String, String> ARCHITECTURES = Map.of("tiny-llava-1.5", "LlavaLlamaForCausalLM",
            "tiny-llava-next", "LlavaMistralForCausalLM", "tiny-llava-onevision", "LlavaQwenForCausalLM");
    private static final Map<String, String> ASPECT = Map.of("tiny-llava-1.5", "pad", "tiny-llava-next", "anyres",
            "tiny-llava-onevision", "anyres_max_9");
    /** Each llava-hf prefix (transformers ≤ 4.51) and its original spelling, and transformers ≥ 4.52's. */
    private static final Map<String, String[]> RENAMES = new LinkedHashMap<>();

    static {
        RENAMES.put("vision_tower.vision_model.", new String[]{"model.vision_tower.vision_tower.vision_model.",
                "model.vision_tower.vision_model."});
        RENAMES.put("multi_modal_projector.linear_1.", new String[]{"model.mm_projector.0.",
                "model.multi_modal_projector.linear_1."});
        RENAMES.put("multi_modal_projector.linear_2.", new String[]{"model.mm_projector.2.",
                "model.multi_modal_projector.linear_2."});
        RENAMES.put("image_newline", new String[]{"model.image_newline", "model.image_newline"});
        RENAMES.put("language_model.model.", new String[]{"model.", "model.language_model."});
        RENAMES.put("language_model.lm_head.", new String[]{"lm_head.", "lm_head."});
    }

    private static final List<ModelArchitecture> FAMILIES = List.of(new LlavaArchitecture(),
            new OriginalLlavaArchitecture(), new OriginalLlavaQwenArchitecture());

    private static Path fixture(String name) {
        return TESTDATA.resolve("models").resolve(name);
    }

    private static LoadedModel load(Path dir) throws IOException {
        return LoadedModel.load(dir, FAMILIES, new CpuComputeBackend(), new CpuAttentionBackend(), LoadProgress.NONE);
    }

    /**
     * The fixture as an original checkpoint in {@code root/model}, its tower in {@code root/tower}
     * (named relative to the model directory). OneVision's tower config has one layer more than the
     * checkpoint, as Google's SigLIP has 27 where LLaVA keeps 26, and selects the second to last.
     *
     * @param imageToken whether the config keeps {@code image_token_index}
     */
    private static Path original(String name, Path root, boolean imageToken) throws IOException {
        Path dir = Files.createDirectories(root.resolve("model"));
        Path tower = Files.createDirectories(root.resolve("tower"));
        Path tiny = fixture(name);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(tiny.resolve(f), dir.resolve(f));
        }
        Files.copy(tiny.resolve("preprocessor_config.json"), tower.resolve("preprocessor_config.json"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode hf = (ObjectNode) json.readTree(tiny.resolve("config.json").toFile());
        ObjectNode vision = (ObjectNode) hf.get("vision_config");
        boolean siglip = vision.get("model_type").asText().startsWith("siglip");
        int selectLayer = hf.get("vision_feature_layer").asInt();
        if (siglip) {
            vision.put("num_hidden_layers", vision.get("num_hidden_layers").asInt() + 1);
            selectLayer -= 1;
        }
        json.writeValue(tower.resolve("config.json").toFile(), vision);

        ObjectNode config = ((ObjectNode) hf.get("text_config")).deepCopy();
        config.remove(List.of("architectures", "model_type"));
        config.putArray("architectures").add(ARCHITECTURES.get(name));
        config.put("model_type", "llava").put("tie_word_embeddings", false)
                .put("mm_vision_tower", "../tower").put("mm_hidden_size", vision.get("hidden_size").asInt())
                .put("mm_vision_select_layer", selectLayer).put("mm_vision_select_feature", "patch")
                .put("mm_projector_type", "mlp2x_gelu").put("image_aspect_ratio", ASPECT.get(name));
        if (hf.has("image_grid_pinpoints")) {
            config.set("image_grid_pinpoints", hf.get("image_grid_pinpoints"));
            config.put("mm_patch_merge_type", "spatial_unpad");
        }
        if (imageToken) {
            config.put("image_token_index", hf.get("image_token_index").asInt());
        }
        json.writeValue(dir.resolve("config.json").toFile(), config);
        renameWeights(tiny, dir, 0);
        return dir;
    }

    /**
     * The fixture's tensors under the original names ({@code naming} 0) or transformers ≥ 4.52's (1),
     * bytes unchanged; original checkpoints also get the buffers old ones carry.
     */
    private static void renameWeights(Path tiny, Path dir, int naming) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, WeightTensor> tensors = SafetensorsFile.open(tiny.resolve("model.safetensors"), arena).tensors();
            Map<String, WeightTensor> byName = new LinkedHashMap<>();
            for (WeightTensor t : tensors.values()) {
                String renamed = null;
                for (var e : RENAMES.entrySet()) {
                    if (t.name().startsWith(e.getKey())) {
                        renamed = e.getValue()[naming] + t.name().substring(e.getKey().length());
                    }
                }
                assertTrue(renamed != null, "no rename for " + t.name());
                byName.put(renamed, t);
            }
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            byName.forEach((n, t) -> entries.add(new SafetensorsWriter.Entry(n, t.dtype(), t.shape())));
            if (naming == 0) {
                entries.add(new SafetensorsWriter.Entry("model.layers.0.self_attn.rotary_emb.inv_freq", DType.F32,
                        Shape.of(8)));
                entries.add(new SafetensorsWriter.Entry("model.vision_tower.vision_tower.vision_model.embeddings.position_ids",
                        DType.I64, Shape.of(1, 17)));
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), entries, Map.of(), (entry, out) -> {
                WeightTensor t = byName.get(entry.name());
                ByteBuffer bytes = t == null ? ByteBuffer.allocate((int) (entry.shape().elementCount()
                        * entry.dtype().byteSize())).order(ByteOrder.LITTLE_ENDIAN) : t.data().asByteBuffer();
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
            });
        }
    }

    /**
     * Where the conventions agree (the 640×480 image picks the same canvas whichever way the
     * pinpoints are read; no image for the text-only prompt), the original layout computes the
     * llava-hf fixture's logits at every position, from a prompt expanded to the same ids.
     */
    @ParameterizedTest
    @CsvSource({"tiny-llava-1.5, text_only", "tiny-llava-next, text_only", "tiny-llava-next, one_image",
            "tiny-llava-onevision, text_only", "tiny-llava-onevision, one_image"})
    void whereTheConventionsAgreeTheOriginalLayoutGivesTheFixturesLogits(String name, String golden, @TempDir Path root)
            throws IOException {
        try (LoadedModel model = load(original(name, root, true))) {
            assertEquals(ARCHITECTURES.get(name).contains("Qwen") ? "chatml-llava" : "vicuna_v1.1",
                    model.architecture().defaultChatTemplate());
            assertGoldenLogits(model, name, golden);
        }
    }

    /** The prefix table also reads transformers ≥ 4.52's names ({@code model.language_model.}, top-level {@code lm_head}). */
    @ParameterizedTest
    @CsvSource({"tiny-llava-1.5, one_image", "tiny-llava-onevision, one_image"})
    void transformersNewerNamesLoadTheSameModel(String name, String golden, @TempDir Path dir) throws IOException {
        for (String f : List.of("config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(fixture(name).resolve(f), dir.resolve(f));
        }
        renameWeights(fixture(name), dir, 1);
        try (LoadedModel model = load(dir)) {
            assertGoldenLogits(model, name, golden);
        }
    }

    private static void assertGoldenLogits(LoadedModel model, String name, String golden) throws IOException {
        JsonNode g = golden(name, golden);
        List<ProcessedImage> images = images(model, g);
        PreparedPrompt p = model.model().preparePrompt(collapsed(g), images);
        assertArrayEquals(inputIds(g), p.tokenIds());
        try (Arena arena = Arena.ofConfined()) {
            float[] expected = floats(SafetensorsFile.open(goldenTensors(name, golden), arena).tensors().get("logits"));
            assertClose(expected, promptLogits(model, p, images), 1e-4);
        }
    }

    /**
     * A 37×23 image ties between the 56×112 and 112×56 canvases; transformers reads the first
     * pinpoint as (height, width) and takes one row of two tiles, SGLang reads it as (width,
     * height) and takes two rows of one, then unpads through its double rounding. The prompt
     * positions follow SGLang (computed from the spec's formula), the crops and the packed
     * features follow the same grid.
     */
    @Test
    void anyresReadsPinpointsAsWidthHeightAsSglangDoes(@TempDir Path root) throws IOException {
        RgbaImage image = decode("images/tiny_rgba_37x23.png");
        try (LoadedModel model = load(original("tiny-llava-next", root, true));
             LoadedModel hf = load(fixture("tiny-llava-next"))) {
            JsonNode config = new ObjectMapper().readTree(fixture("tiny-llava-next").resolve("config.json").toFile());
            List<int[]> pinpoints = new ArrayList<>();
            config.get("image_grid_pinpoints").forEach(p -> pinpoints.add(new int[]{p.get(0).asInt(), p.get(1).asInt()}));
            int tile = config.get("vision_config").get("image_size").asInt();
            int side = tile / config.get("vision_config").get("patch_size").asInt();
            int[] sglang = SpecTokenCount.anyres(image.width(), image.height(), pinpoints, true, tile, side, 0);
            int[] transformers = SpecTokenCount.anyres(image.width(), image.height(), pinpoints, false, tile, side, 0);
            assertNotEquals(sglang[0], transformers[0], "the image must be one where the readings differ");

            LlavaImage own = (LlavaImage) model.model().imageProcessor().process(image, JsonConfigView.parse("none", "{}"));
            assertEquals(sglang[0], own.layout().rows());
            assertEquals(sglang[1], own.layout().cols());
            assertEquals(1 + sglang[0] * sglang[1], own.crops());
            assertEquals(sglang[2], own.promptTokens());
            assertEquals(sglang[2], model.model().encodeImage(own).rows());
            assertEquals(transformers[2],
                    hf.model().imageProcessor().process(image, JsonConfigView.parse("none", "{}")).promptTokens());
        }
    }

    /**
     * LLaVA-1.5's {@code pad}: the image centred on a square of the mean colour ({@code int(mean · 255)}),
     * then CLIP's resize and crop. The pixel values equal those of the llava-hf processor (checked
     * against transformers in LlavaTest) given the square built here; the image keeps the fixture's
     * placeholder count.
     */
    @Test
    void padModeCentresTheImageOnASquareOfTheMeanColourThenResizes(@TempDir Path root) throws IOException {
        RgbaImage tall = decode("images/tall_300x1000.png");
        int side = Math.max(tall.width(), tall.height());
        JsonNode processor = new ObjectMapper().readTree(fixture("tiny-llava-1.5").resolve("preprocessor_config.json")
                .toFile());
        byte[] square = new byte[side * side * 4];
        int left = (side - tall.width()) / 2;
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int at = (y * side + x) * 4;
                boolean inside = x >= left && x < left + tall.width();
                for (int c = 0; c < 3; c++) {
                    square[at + c] = inside ? tall.rgba()[(y * tall.width() + x - left) * 4 + c]
                            : (byte) (int) (processor.get("image_mean").get(c).asDouble() * 255);
                }
                square[at + 3] = (byte) 255;
            }
        }
        try (LoadedModel model = load(original("tiny-llava-1.5", root, true));
             LoadedModel hf = load(fixture("tiny-llava-1.5"))) {
            ProcessedImage padded = model.model().imageProcessor().process(tall, JsonConfigView.parse("none", "{}"));
            ProcessedImage reference = hf.model().imageProcessor().process(new RgbaImage(side, side, square),
                    JsonConfigView.parse("none", "{}"));
            assertClose(reference.pixelValues(), padded.pixelValues(), 1e-6);
            int placeholders = golden("tiny-llava-1.5", "one_image").get("num_image_tokens_in_prompt").asInt();
            assertEquals(placeholders, padded.promptTokens());
            assertEquals(placeholders, model.model().encodeImage(padded).rows());
        }
    }

    /**
     * Without {@code image_token_index} the image token is SGLang's default (32000 for Llama and
     * Mistral, 151646 for Qwen2), beyond these tiny embedding tables as 32000 is beyond
     * Vicuna's: its positions are never looked up, generation runs.
     */
    @ParameterizedTest
    @CsvSource({"tiny-llava-next, 32000", "tiny-llava-onevision, 151646"})
    void anAbsentImageTokenIndexTakesSglangsDefaultWhichNeedsNoEmbeddingRow(String name, int expected,
                                                                            @TempDir Path root) throws IOException {
        try (LoadedModel model = load(original(name, root, false));
             Engine engine = model.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, true, 4, 32))) {
            assertEquals(expected, model.model().spec().imageTokenId());
            assertTrue(expected >= model.model().spec().vocabSize());
            JsonNode g = golden(name, "one_image");
            int[] prompt = collapsed(g);
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = prompt[i] == g.get("image_token_id").asInt() ? expected : prompt[i];
            }
            GenerationResult r = engine.generate(new GenerationRequest(prompt, images(model, g), SamplingParams.GREEDY,
                    new StopConditions(List.of(), Set.of(), Set.of(), true, false, 3, 0, Integer.MAX_VALUE)));
            assertEquals(3, r.outputIds().length);
            assertEquals(g.get("seq_len").asInt(), r.promptTokens());
            r.tokens().forEach(t -> assertTrue(Float.isFinite(t.logprob())));
        }
    }

    /**
     * The other packings: {@code flat} concatenates every crop's features (base and tiles, no
     * newline); {@code spatial_unpad} gives a lone {@code pad} crop one newline after it (§6.2).
     */
    @ParameterizedTest
    @CsvSource({"tiny-llava-next, anyres, flat", "tiny-llava-onevision, pad, spatial_unpad"})
    void flatPackingConcatenatesCropsAndALonePaddedCropGetsOneNewline(String name, String aspect, String merge,
                                                                      @TempDir Path root) throws IOException {
        Path dir = original(name, root, true);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.put("image_aspect_ratio", aspect).put("mm_patch_merge_type", merge);
        json.writeValue(dir.resolve("config.json").toFile(), config);
        try (LoadedModel model = load(dir)) {
            JsonNode vision = json.readTree(fixture(name).resolve("config.json").toFile()).get("vision_config");
            int side = vision.get("image_size").asInt() / vision.get("patch_size").asInt();
            LlavaImage image = (LlavaImage) model.model().imageProcessor().process(decode("images/gradient_640x480.png"),
                    JsonConfigView.parse("none", "{}"));
            int expected = merge.equals("flat") ? image.crops() * side * side : side * side + 1;
            assertTrue(merge.equals("flat") ? image.crops() > 1 : image.crops() == 1);
            assertEquals(expected, image.promptTokens());
            assertEquals(expected, model.model().encodeImage(image).rows());
        }
    }

    /**
     * SGLang's multi-image mode for original checkpoints (§4.5): in a request with two images each is
     * one crop padded to a square — the crop {@code image_aspect_ratio: pad} makes — with one newline
     * after its features; alone, the same image is tiled. The llava-hf processor tiles it either way.
     */
    @Test
    void eachImageOfAMultiImageRequestIsOnePaddedCrop(@TempDir Path root) throws IOException {
        RgbaImage image = decode("images/gradient_640x480.png");
        ConfigView none = JsonConfigView.parse("none", "{}");
        Path padDir = original("tiny-llava-onevision", root.resolve("pad"), true);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(padDir.resolve("config.json").toFile());
        json.writeValue(padDir.resolve("config.json").toFile(), config.put("image_aspect_ratio", "pad"));
        try (LoadedModel model = load(original("tiny-llava-onevision", root.resolve("anyres"), true));
             LoadedModel pad = load(padDir);
             LoadedModel hf = load(fixture("tiny-llava-onevision"))) {
            JsonNode vision = json.readTree(fixture("tiny-llava-onevision").resolve("config.json").toFile()).get("vision_config");
            int side = vision.get("image_size").asInt() / vision.get("patch_size").asInt();
            LlavaImage alone = (LlavaImage) model.model().imageProcessor().forRequest(1).process(image, none);
            assertTrue(alone.crops() > 1, "alone, the image is tiled");
            LlavaImage inPair = (LlavaImage) model.model().imageProcessor().forRequest(2).process(image, none);
            assertEquals(1, inPair.crops());
            assertEquals(side * side + 1, inPair.promptTokens());
            assertEquals(side * side + 1, model.model().encodeImage(inPair).rows());
            assertClose(pad.model().imageProcessor().process(image, none).pixelValues(), inPair.pixelValues(), 0);
            assertTrue(((LlavaImage) hf.model().imageProcessor().forRequest(2).process(image, none)).crops() > 1);
        }
    }

    @Test
    void aVisionTowerThatIsNeitherADirectoryNorKnownIsAnErrorNamingMmVisionTower(@TempDir Path root) throws IOException {
        Path dir = original("tiny-llava-1.5", root, true);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.put("mm_vision_tower", "someone/unknown-vision-tower");
        json.writeValue(dir.resolve("config.json").toFile(), config);
        Exception e = assertThrows(Exception.class, () -> load(dir).close());
        assertTrue(e.getMessage().contains("mm_vision_tower") && e.getMessage().contains("someone/unknown-vision-tower"),
                e.getMessage());
    }
}
