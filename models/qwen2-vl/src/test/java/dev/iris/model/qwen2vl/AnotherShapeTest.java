package dev.iris.model.qwen2vl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * The family loads and runs a checkpoint of other shapes than the fixture's (wider, one layer and
 * one vision block, other head counts): nothing in it depends on tiny-qwen2-vl's sizes. Random
 * weights in tiny-qwen2-vl's directory layout (its tokenizer and processor config).
 */
class AnotherShapeTest {

    private static final Path TINY = Path.of("../../testdata/models/tiny-qwen2-vl");

    @Test
    void aDifferentlyShapedCheckpointLoadsAndGeneratesWithAnImage(@TempDir Path dir) throws IOException {
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "preprocessor_config.json", "generation_config.json")) {
            Files.copy(TINY.resolve(f), dir.resolve(f));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(TINY.resolve("config.json").toFile());
        config.put("hidden_size", 96).put("intermediate_size", 160).put("num_attention_heads", 6)
                .put("num_key_value_heads", 3).put("num_hidden_layers", 1);
        ((ObjectNode) config.get("vision_config")).put("embed_dim", 48).put("num_heads", 3).put("depth", 1)
                .put("hidden_size", 96);
        json.writeValue(dir.resolve("config.json").toFile(), config);
        writeRandomWeights(dir.resolve("model.safetensors"));

        try (LoadedModel model = LoadedModel.load(dir, List.of(new Qwen2VlArchitecture()), new CpuComputeBackend(),
                new CpuAttentionBackend(), LoadProgress.NONE);
             Engine engine = model.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, true, 4, 32))) {
            byte[] png = Files.readAllBytes(Path.of("../../testdata/images/gradient_640x480.png"));
            var rgba = new MediaLoader(MediaOptions.defaults())
                    .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(png))).getFirst();
            var image = model.model().imageProcessor().process(rgba, JsonConfigView.parse("none", "{}"));
            int[] prompt = model.tokenizer().encode(
                    "<|im_start|>user\\n<|vision_start|><|image_pad|><|vision_end|>Hi<|im_end|>\\n<|im_start|>assistant\\n", false);
            GenerationResult r = engine.generate(new GenerationRequest(prompt, List.of(image), SamplingParams.GREEDY,
                    new StopConditions(List.of(), Set.of(), Set.of(), true, false, 4, 0, Integer.MAX_VALUE)));
            assertEquals(4, r.outputIds().length);
            assertEquals(prompt.length - 1 + image.promptTokens(), r.promptTokens());
            r.tokens().forEach(t -> assertTrue(Float.isFinite(t.logprob()) && t.logprob() <= 0));
        }
    }

    /** Normal(0, 0.02) weights, norms 1, for the shapes the edited config implies. */
    private static void writeRandomWeights(Path file) throws IOException {
        int hidden = 96, inter = 160, q = 96, kv = 48, vocab = 320, d = 48, mlp = 192, merged = 192;
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        java.util.function.BiConsumer<String, Shape> add = (name, shape) ->
                entries.add(new SafetensorsWriter.Entry(name, DType.F32, shape));
        add.accept("model.embed_tokens.weight", Shape.of(vocab, hidden));
        String l = "model.layers.0.";
        add.accept(l + "input_layernorm.weight", Shape.of(hidden));
        add.accept(l + "self_attn.q_proj.weight", Shape.of(q, hidden));
        add.accept(l + "self_attn.q_proj.bias", Shape.of(q));
        add.accept(l + "self_attn.k_proj.weight", Shape.of(kv, hidden));
        add.accept(l + "self_attn.k_proj.bias", Shape.of(kv));
        add.accept(l + "self_attn.v_proj.weight", Shape.of(kv, hidden));
        add.accept(l + "self_attn.v_proj.bias", Shape.of(kv));
        add.accept(l + "self_attn.o_proj.weight", Shape.of(hidden, q));
        add.accept(l + "post_attention_layernorm.weight", Shape.of(hidden));
        add.accept(l + "mlp.gate_proj.weight", Shape.of(inter, hidden));
        add.accept(l + "mlp.up_proj.weight", Shape.of(inter, hidden));
        add.accept(l + "mlp.down_proj.weight", Shape.of(hidden, inter));
        add.accept("model.norm.weight", Shape.of(hidden));
        add.accept("lm_head.weight", Shape.of(vocab, hidden));
        add.accept("visual.patch_embed.proj.weight", Shape.of(d, 3, 2, 14, 14));
        String b = "visual.blocks.0.";
        add.accept(b + "norm1.weight", Shape.of(d));
        add.accept(b + "norm1.bias", Shape.of(d));
        add.accept(b + "attn.qkv.weight", Shape.of(3 * d, d));
        add.accept(b + "attn.qkv.bias", Shape.of(3 * d));
        add.accept(b + "attn.proj.weight", Shape.of(d, d));
        add.accept(b + "attn.proj.bias", Shape.of(d));
        add.accept(b + "norm2.weight", Shape.of(d));
        add.accept(b + "norm2.bias", Shape.of(d));
        add.accept(b + "mlp.fc1.weight", Shape.of(mlp, d));
        add.accept(b + "mlp.fc1.bias", Shape.of(mlp));
        add.accept(b + "mlp.fc2.weight", Shape.of(d, mlp));
        add.accept(b + "mlp.fc2.bias", Shape.of(d));
        add.accept("visual.merger.ln_q.weight", Shape.of(d));
        add.accept("visual.merger.ln_q.bias", Shape.of(d));
        add.accept("visual.merger.mlp.0.weight", Shape.of(merged, merged));
        add.accept("visual.merger.mlp.0.bias", Shape.of(merged));
        add.accept("visual.merger.mlp.2.weight", Shape.of(hidden, merged));
        add.accept("visual.merger.mlp.2.bias", Shape.of(hidden));
        SplittableRandom random = new SplittableRandom(7);
        SafetensorsWriter.write(file, entries, Map.of(), (entry, out) -> {
            float[] values = new float[(int) entry.shape().elementCount()];
            boolean norm = entry.name().contains("norm") || entry.name().contains("ln_q");
            for (int i = 0; i < values.length; i++) {
                values[i] = norm && entry.name().endsWith("weight") ? 1f : (float) (random.nextGaussian() * 0.02);
            }
            SafetensorsWriter.writeFloats(entry, out, values);
        });
    }
}
