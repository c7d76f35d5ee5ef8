package dev.iris.model.llava;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
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
import dev.iris.runtime.weights.SafetensorsWriter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The family loads and runs checkpoints of other shapes than the three tiny fixtures' (other
 * widths, head counts with grouped K/V, layer counts; other vision widths, heads, depths, selected
 * layers, crop and patch sizes, pinpoints and {@code anyres_max_N}): nothing depends on the
 * fixtures' sizes. Random weights in each fixture's layout (its tokenizer and chat format), written here.
 */
class AnotherShapeTest {

    private static final Path TESTDATA = Path.of("../../testdata");
    private static final int HIDDEN = 96, HEADS = 6, KV = 2, HEAD_DIM = 16, INTER = 160, LAYERS = 3, VOCAB = 400;

    /** A fixture's vision tower and image settings in the new shape. */
    private record Vision(boolean siglip, int hidden, int heads, int inter, int layers, int featureLayer, int tile,
                          int patch, List<int[]> pinpoints, String aspect) {
        int side() {
            return tile / patch;
        }
    }

    private static Vision vision(String fixture) {
        return switch (fixture) {
            case "tiny-llava-1.5" -> new Vision(false, 48, 3, 80, 4, -2, 42, 14, List.of(), null);
            case "tiny-llava-next" -> new Vision(false, 40, 4, 72, 3, -3, 48, 16,
                    List.of(new int[]{48, 96}, new int[]{96, 48}, new int[]{96, 96}, new int[]{144, 48}, new int[]{48, 144}),
                    null);
            default -> {
                // 50-pixel crops of 12-pixel patches: the last 2 pixels are never seen, as SigLIP-384 leaves 6.
                List<int[]> pins = new ArrayList<>();
                for (int i = 1; i <= 3; i++) {
                    for (int j = 1; j <= 3; j++) {
                        pins.add(new int[]{50 * i, 50 * j});
                    }
                }
                yield new Vision(true, 36, 2, 64, 3, -1, 50, 12, pins, "anyres_max_4");
            }
        };
    }

    private static String prompt(String fixture) {
        return switch (fixture) {
            case "tiny-llava-1.5" -> "USER: <image>\nWhat is this? ASSISTANT:";
            case "tiny-llava-next" -> "[INST] <image>\nWhat is this? [/INST]";
            default -> "<|im_start|>user\n<image>\nWhat is this?<|im_end|>\n<|im_start|>assistant\n";
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llava-1.5", "tiny-llava-next", "tiny-llava-onevision"})
    void aDifferentlyShapedCheckpointExpandsEncodesAndGeneratesWithAnImage(String fixture, @TempDir Path dir)
            throws IOException {
        Path tiny = TESTDATA.resolve("models").resolve(fixture);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(tiny.resolve(f), dir.resolve(f));
        }
        Vision v = vision(fixture);
        boolean qwen = fixture.endsWith("onevision");
        writeConfigs(tiny, dir, v);
        writeRandomWeights(dir.resolve("model.safetensors"), v, qwen);

        try (LoadedModel model = LoadedModel.load(dir, List.of(new LlavaArchitecture()), new CpuComputeBackend(),
                new CpuAttentionBackend(), LoadProgress.NONE);
             Engine engine = model.newEngine(new DefaultSampler(), new EngineOptions(4, 1024, 0, true, 4, 64))) {
            RgbaImage wide = decode("gradient_640x480.png");
            RgbaImage tall = decode("tall_300x1000.png");
            ProcessedImage first = model.model().imageProcessor().process(wide, JsonConfigView.parse("none", "{}"));
            ProcessedImage second = model.model().imageProcessor().process(tall, JsonConfigView.parse("none", "{}"));
            for (var pair : List.of(Map.entry(wide, first), Map.entry(tall, second))) {
                int expected = v.pinpoints().isEmpty() ? v.side() * v.side()
                        : SpecTokenCount.anyres(pair.getKey().width(), pair.getKey().height(), v.pinpoints(), false, v.tile(),
                        v.side(), v.aspect() == null ? 0 : 4)[2];
                assertEquals(expected, pair.getValue().promptTokens(), "prompt positions of a " + pair.getKey().width()
                        + "x" + pair.getKey().height() + " image");
            }

            // Encoding two images together gives each the rows it gets alone: crops, packing and
            // newlines are laid out per image whatever the shapes.
            List<EncodedImage> together = model.model().encodeImages(List.of(first, second));
            for (int i = 0; i < 2; i++) {
                ProcessedImage image = i == 0 ? first : second;
                float[] alone = model.compute().toFloats(model.model().encodeImage(image).features());
                float[] both = model.compute().toFloats(together.get(i).features());
                assertEquals(image.promptTokens(), together.get(i).rows());
                assertEquals(alone.length, both.length);
                double worst = 0;
                double scale = 0;
                for (int k = 0; k < alone.length; k++) {
                    worst = Math.max(worst, Math.abs(alone[k] - both[k]));
                    scale = Math.max(scale, Math.abs(alone[k]));
                }
                assertTrue(scale > 0 && worst <= 1e-5 * scale, "image " + i + ": largest difference " + worst);
            }

            int[] prompt = model.tokenizer().encode(prompt(fixture), !qwen);
            GenerationResult r = engine.generate(new GenerationRequest(prompt, List.of(first), SamplingParams.GREEDY,
                    new StopConditions(List.of(), Set.of(), Set.of(), true, false, 4, 0, Integer.MAX_VALUE)));
            assertEquals(4, r.outputIds().length);
            assertEquals(prompt.length - 1 + first.promptTokens(), r.promptTokens());
            r.tokens().forEach(t -> assertTrue(Float.isFinite(t.logprob()) && t.logprob() <= 0));
        }
    }

    private static RgbaImage decode(String image) throws IOException {
        byte[] png = Files.readAllBytes(TESTDATA.resolve("images").resolve(image));
        return new MediaLoader(MediaOptions.defaults())
                .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(png))).getFirst();
    }

    /** The fixture's config.json and preprocessor_config.json with the new shapes. */
    private static void writeConfigs(Path tiny, Path dir, Vision v) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(tiny.resolve("config.json").toFile());
        config.put("vocab_size", VOCAB).put("vision_feature_layer", v.featureLayer());
        ((ObjectNode) config.get("text_config")).put("hidden_size", HIDDEN).put("num_attention_heads", HEADS)
                .put("num_key_value_heads", KV).put("head_dim", HEAD_DIM).put("intermediate_size", INTER)
                .put("num_hidden_layers", LAYERS).put("vocab_size", VOCAB);
        ((ObjectNode) config.get("vision_config")).put("hidden_size", v.hidden()).put("num_attention_heads", v.heads())
                .put("intermediate_size", v.inter()).put("num_hidden_layers", v.layers()).put("image_size", v.tile())
                .put("patch_size", v.patch());
        ObjectNode preprocessor = (ObjectNode) json.readTree(tiny.resolve("preprocessor_config.json").toFile());
        if (!v.pinpoints().isEmpty()) {
            for (ObjectNode node : List.of(config, preprocessor)) {
                ArrayNode pins = node.putArray("image_grid_pinpoints");
                v.pinpoints().forEach(p -> pins.addArray().add(p[0]).add(p[1]));
            }
        }
        if (v.aspect() != null) {
            config.put("vision_aspect_ratio", v.aspect());
        }
        if (v.siglip()) {
            ((ObjectNode) preprocessor.get("size")).put("height", v.tile()).put("width", v.tile());
        } else {
            ((ObjectNode) preprocessor.get("size")).put("shortest_edge", v.tile());
            ((ObjectNode) preprocessor.get("crop_size")).put("height", v.tile()).put("width", v.tile());
        }
        json.writeValue(dir.resolve("config.json").toFile(), config);
        json.writeValue(dir.resolve("preprocessor_config.json").toFile(), preprocessor);
    }

    /** Normal(0, 0.02) weights, norms 1, under llava-hf's names, for the shapes of the new config. */
    private static void writeRandomWeights(Path file, Vision v, boolean qwen) throws IOException {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        java.util.function.BiConsumer<String, int[]> add = (name, dims) ->
                entries.add(new SafetensorsWriter.Entry(name, DType.F32, Shape.of(dims)));
        int q = HEADS * HEAD_DIM;
        int kv = KV * HEAD_DIM;
        String lm = "language_model.model.";
        add.accept(lm + "embed_tokens.weight", new int[]{VOCAB, HIDDEN});
        add.accept(lm + "norm.weight", new int[]{HIDDEN});
        add.accept("language_model.lm_head.weight", new int[]{VOCAB, HIDDEN});
        for (int i = 0; i < LAYERS; i++) {
            String p = lm + "layers." + i + ".";
            add.accept(p + "input_layernorm.weight", new int[]{HIDDEN});
            add.accept(p + "self_attn.q_proj.weight", new int[]{q, HIDDEN});
            add.accept(p + "self_attn.k_proj.weight", new int[]{kv, HIDDEN});
            add.accept(p + "self_attn.v_proj.weight", new int[]{kv, HIDDEN});
            if (qwen) {
                add.accept(p + "self_attn.q_proj.bias", new int[]{q});
                add.accept(p + "self_attn.k_proj.bias", new int[]{kv});
                add.accept(p + "self_attn.v_proj.bias", new int[]{kv});
            }
            add.accept(p + "self_attn.o_proj.weight", new int[]{HIDDEN, q});
            add.accept(p + "post_attention_layernorm.weight", new int[]{HIDDEN});
            add.accept(p + "mlp.gate_proj.weight", new int[]{INTER, HIDDEN});
            add.accept(p + "mlp.up_proj.weight", new int[]{INTER, HIDDEN});
            add.accept(p + "mlp.down_proj.weight", new int[]{HIDDEN, INTER});
        }
        String t = "vision_tower.vision_model.";
        int d = v.hidden();
        int patches = v.side() * v.side();
        add.accept(t + "embeddings.patch_embedding.weight", new int[]{d, 3, v.patch(), v.patch()});
        if (v.siglip()) {
            add.accept(t + "embeddings.patch_embedding.bias", new int[]{d});
            add.accept(t + "embeddings.position_embedding.weight", new int[]{patches, d});
        } else {
            add.accept(t + "embeddings.class_embedding", new int[]{d});
            add.accept(t + "embeddings.position_embedding.weight", new int[]{patches + 1, d});
            add.accept(t + "pre_layrnorm.weight", new int[]{d});
            add.accept(t + "pre_layrnorm.bias", new int[]{d});
        }
        for (int i = 0; i < v.layers(); i++) {
            String p = t + "encoder.layers." + i + ".";
            for (String n : List.of("layer_norm1", "layer_norm2")) {
                add.accept(p + n + ".weight", new int[]{d});
                add.accept(p + n + ".bias", new int[]{d});
            }
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                add.accept(p + "self_attn." + proj + ".weight", new int[]{d, d});
                add.accept(p + "self_attn." + proj + ".bias", new int[]{d});
            }
            add.accept(p + "mlp.fc1.weight", new int[]{v.inter(), d});
            add.accept(p + "mlp.fc1.bias", new int[]{v.inter()});
            add.accept(p + "mlp.fc2.weight", new int[]{d, v.inter()});
            add.accept(p + "mlp.fc2.bias", new int[]{d});
        }
        add.accept(t + "post_layernorm.weight", new int[]{d});
        add.accept(t + "post_layernorm.bias", new int[]{d});
        add.accept("multi_modal_projector.linear_1.weight", new int[]{HIDDEN, d});
        add.accept("multi_modal_projector.linear_1.bias", new int[]{HIDDEN});
        add.accept("multi_modal_projector.linear_2.weight", new int[]{HIDDEN, HIDDEN});
        add.accept("multi_modal_projector.linear_2.bias", new int[]{HIDDEN});
        if (!v.pinpoints().isEmpty()) {
            add.accept("image_newline", new int[]{HIDDEN});
        }
        SplittableRandom random = new SplittableRandom(5);
        SafetensorsWriter.write(file, entries, Map.of(), (entry, out) -> {
            float[] values = new float[(int) entry.shape().elementCount()];
            boolean norm = (entry.name().contains("norm") || entry.name().contains("layrnorm"))
                    && entry.name().endsWith("weight");
            for (int i = 0; i < values.length; i++) {
                values[i] = norm ? 1f : (float) (random.nextGaussian() * 0.02);
            }
            SafetensorsWriter.writeFloats(entry, out, values);
        });
    }
}
