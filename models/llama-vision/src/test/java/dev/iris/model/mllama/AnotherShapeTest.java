package dev.iris.model.mllama;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.model.ProcessedImage;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
 * The family loads and runs a checkpoint of other shapes than the fixture's: other widths and head
 * counts, the cross-attention layer last of three, three local and two global vision layers, other
 * kept layers, 28-pixel tiles (5 tokens padded to 8). Random weights in tiny-mllama's layout (its
 * tokenizer), written here.
 */
class AnotherShapeTest {

    private static final Path TINY = Path.of("../../testdata/models/tiny-mllama");

    private static final int HIDDEN = 48, HEADS = 6, KV = 2, HEAD_DIM = 8, INTER = 80, VOCAB = 320, EXTRA_ROWS = 8;
    private static final int V_HIDDEN = 24, V_INTER = 40, TILE = 28, TILES = 4, TOKENS = 5;
    private static final List<Integer> KEPT = List.of(1, 3);

    @Test
    void aDifferentlyShapedCheckpointLoadsAndGeneratesWithAndWithoutAnImage(@TempDir Path dir) throws IOException {
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(TINY.resolve(f), dir.resolve(f));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(TINY.resolve("config.json").toFile());
        ObjectNode text = (ObjectNode) config.get("text_config");
        text.put("hidden_size", HIDDEN).put("num_attention_heads", HEADS).put("num_key_value_heads", KV)
                .put("intermediate_size", INTER).put("num_hidden_layers", 3);
        ((ArrayNode) text.putArray("cross_attention_layers")).add(2);
        ObjectNode vision = (ObjectNode) config.get("vision_config");
        vision.put("hidden_size", V_HIDDEN).put("attention_heads", 3).put("intermediate_size", V_INTER)
                .put("num_hidden_layers", 3).put("num_global_layers", 2).put("image_size", TILE)
                .put("vision_output_dim", V_HIDDEN * (1 + KEPT.size()));
        ArrayNode kept = vision.putArray("intermediate_layers_indices");
        KEPT.forEach(kept::add);
        json.writeValue(dir.resolve("config.json").toFile(), config);
        ObjectNode preprocessor = (ObjectNode) json.readTree(TINY.resolve("preprocessor_config.json").toFile());
        ((ObjectNode) preprocessor.get("size")).put("height", TILE).put("width", TILE);
        json.writeValue(dir.resolve("preprocessor_config.json").toFile(), preprocessor);
        writeRandomWeights(dir.resolve("model.safetensors"));

        try (LoadedModel model = LoadedModel.load(dir, List.of(new MllamaArchitecture()), new CpuComputeBackend(),
                new CpuAttentionBackend(), LoadProgress.NONE);
             Engine engine = model.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, true, 4, 32))) {
            byte[] png = Files.readAllBytes(Path.of("../../testdata/images/gradient_640x480.png"));
            var rgba = new MediaLoader(MediaOptions.defaults())
                    .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(png))).getFirst();
            ProcessedImage image = model.model().imageProcessor().process(rgba, JsonConfigView.parse("none", "{}"));
            assertEquals(TILES * TOKENS, model.model().encodeImage(image).rows());
            int[] prompt = model.tokenizer().encode("<|begin_of_text|><|image|>Hi there", false);
            for (List<ProcessedImage> images : List.of(List.of(image), List.<ProcessedImage>of())) {
                int[] ids = images.isEmpty() ? model.tokenizer().encode("<|begin_of_text|>Hi there", false) : prompt;
                GenerationResult r = engine.generate(new GenerationRequest(ids, images, SamplingParams.GREEDY,
                        new StopConditions(List.of(), Set.of(), Set.of(), true, false, 4, 0, Integer.MAX_VALUE)));
                assertEquals(4, r.outputIds().length);
                assertEquals(ids.length, r.promptTokens());
                r.tokens().forEach(t -> assertTrue(Float.isFinite(t.logprob()) && t.logprob() <= 0));
            }
        }
    }

    /** Normal(0, 0.02) weights, norms 1, gates 0.5, for the shapes the edited config implies. */
    private static void writeRandomWeights(Path file) throws IOException {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        java.util.function.BiConsumer<String, int[]> add = (name, dims) ->
                entries.add(new SafetensorsWriter.Entry(name, DType.F32, Shape.of(dims)));
        int q = HEADS * HEAD_DIM;
        int kv = KV * HEAD_DIM;
        String lm = "language_model.model.";
        add.accept("language_model.lm_head.weight", new int[]{VOCAB, HIDDEN});
        add.accept(lm + "embed_tokens.weight", new int[]{VOCAB + EXTRA_ROWS, HIDDEN});
        add.accept(lm + "norm.weight", new int[]{HIDDEN});
        for (int i = 0; i < 3; i++) {
            String p = lm + "layers." + i + ".";
            String attn = i == 2 ? "cross_attn." : "self_attn.";
            add.accept(p + "input_layernorm.weight", new int[]{HIDDEN});
            add.accept(p + attn + "q_proj.weight", new int[]{q, HIDDEN});
            add.accept(p + attn + "k_proj.weight", new int[]{kv, HIDDEN});
            add.accept(p + attn + "v_proj.weight", new int[]{kv, HIDDEN});
            add.accept(p + attn + "o_proj.weight", new int[]{HIDDEN, q});
            if (i == 2) {
                add.accept(p + "cross_attn.q_norm.weight", new int[]{HEAD_DIM});
                add.accept(p + "cross_attn.k_norm.weight", new int[]{HEAD_DIM});
                add.accept(p + "cross_attn_attn_gate", new int[]{1});
                add.accept(p + "cross_attn_mlp_gate", new int[]{1});
            }
            add.accept(p + "post_attention_layernorm.weight", new int[]{HIDDEN});
            add.accept(p + "mlp.gate_proj.weight", new int[]{INTER, HIDDEN});
            add.accept(p + "mlp.up_proj.weight", new int[]{INTER, HIDDEN});
            add.accept(p + "mlp.down_proj.weight", new int[]{HIDDEN, INTER});
        }
        int out = V_HIDDEN * (1 + KEPT.size());
        add.accept("multi_modal_projector.weight", new int[]{HIDDEN, out});
        add.accept("multi_modal_projector.bias", new int[]{HIDDEN});
        String v = "vision_model.";
        add.accept(v + "patch_embedding.weight", new int[]{V_HIDDEN, 3, 14, 14});
        add.accept(v + "class_embedding", new int[]{V_HIDDEN});
        add.accept(v + "gated_positional_embedding.embedding", new int[]{TOKENS, V_HIDDEN});
        add.accept(v + "gated_positional_embedding.gate", new int[]{1});
        add.accept(v + "gated_positional_embedding.tile_embedding.weight", new int[]{9, TILES * TOKENS * V_HIDDEN});
        for (String t : List.of("pre", "post")) {
            add.accept(v + t + "_tile_positional_embedding.embedding.weight", new int[]{9, TILES * V_HIDDEN});
            add.accept(v + t + "_tile_positional_embedding.gate", new int[]{1});
            add.accept(v + "layernorm_" + t + ".weight", new int[]{V_HIDDEN});
            add.accept(v + "layernorm_" + t + ".bias", new int[]{V_HIDDEN});
        }
        for (String stack : List.of("transformer", "global_transformer")) {
            for (int i = 0; i < (stack.equals("transformer") ? 3 : 2); i++) {
                String p = v + stack + ".layers." + i + ".";
                for (String n : List.of("input_layernorm", "post_attention_layernorm")) {
                    add.accept(p + n + ".weight", new int[]{V_HIDDEN});
                    add.accept(p + n + ".bias", new int[]{V_HIDDEN});
                }
                for (String proj : List.of("q", "k", "v", "o")) {
                    add.accept(p + "self_attn." + proj + "_proj.weight", new int[]{V_HIDDEN, V_HIDDEN});
                }
                add.accept(p + "mlp.fc1.weight", new int[]{V_INTER, V_HIDDEN});
                add.accept(p + "mlp.fc1.bias", new int[]{V_INTER});
                add.accept(p + "mlp.fc2.weight", new int[]{V_HIDDEN, V_INTER});
                add.accept(p + "mlp.fc2.bias", new int[]{V_HIDDEN});
                if (stack.equals("global_transformer")) {
                    add.accept(p + "gate_attn", new int[]{1});
                    add.accept(p + "gate_ffn", new int[]{1});
                }
            }
        }
        SplittableRandom random = new SplittableRandom(11);
        SafetensorsWriter.write(file, entries, Map.of(), (entry, stream) -> {
            float[] values = new float[(int) entry.shape().elementCount()];
            boolean norm = entry.name().contains("norm") && entry.name().endsWith("weight");
            boolean gate = entry.name().endsWith("gate") || entry.name().contains("gate_attn")
                    || entry.name().contains("gate_ffn") || entry.name().endsWith("_gate");
            for (int i = 0; i < values.length; i++) {
                values[i] = norm ? 1f : gate ? 0.5f : (float) (random.nextGaussian() * 0.02);
            }
            SafetensorsWriter.writeFloats(entry, stream, values);
        });
    }
}
