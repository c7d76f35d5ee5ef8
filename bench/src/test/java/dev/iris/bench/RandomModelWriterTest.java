package dev.iris.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.SafetensorsWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomModelWriterTest {

    @TempDir
    Path dir;

    @Test
    void writesAShardedQwen2VlCheckpointThatTheLoaderReadsWithTheSpecShapes() throws IOException {
        // The real 2B config, shrunk: the names and shape rules are what is checked.
        ObjectMapper json = new ObjectMapper();
        var config = (com.fasterxml.jackson.databind.node.ObjectNode)
                json.readTree(Path.of("configs/qwen2-vl-2b-instruct.config.json").toFile());
        config.put("hidden_size", 48).put("intermediate_size", 96).put("num_hidden_layers", 2)
                .put("num_attention_heads", 6);
        ((com.fasterxml.jackson.databind.node.ObjectNode) config.get("vision_config")).put("depth", 2)
                .put("embed_dim", 32).put("hidden_size", 48);
        Path cfg = dir.resolve("in.json");
        json.writeValue(cfg.toFile(), config);

        Path out = dir.resolve("model");
        RandomModelWriter.write(cfg, out, 1 << 20);

        assertTrue(Files.exists(out.resolve("model.safetensors.index.json")));
        try (SafetensorsWeights w = SafetensorsWeights.open(out, LoadProgress.NONE)) {
            assertEquals(Shape.of(32, 3, 2, 14, 14), w.get("visual.patch_embed.proj.weight").shape());
            assertEquals(Shape.of(96, 32), w.get("visual.blocks.1.attn.qkv.weight").shape());
            assertEquals(Shape.of(48, 128), w.get("visual.merger.mlp.2.weight").shape());
            assertEquals(Shape.of(16, 48), w.get("model.layers.1.self_attn.k_proj.weight").shape());
            assertEquals(Shape.of(96, 48), w.get("model.layers.0.mlp.gate_proj.weight").shape());
            assertEquals(DType.BF16, w.get("model.norm.weight").dtype());
            assertFalse(w.contains("lm_head.weight"), "tied embeddings: no lm_head");
            // Vision: patch embed 1 + 2 blocks × 12 + merger 6; LM: embedding 1 + 2 layers × 12 + norm 1.
            assertEquals(31 + 26, w.names().size());
        }
        JsonNode tok = json.readTree(out.resolve("tokenizer.json").toFile());
        assertEquals(151655, tok.get("added_tokens").get(12).get("id").asInt());
        assertEquals("<|image_pad|>", tok.get("added_tokens").get(12).get("content").asText());
        assertEquals(256, tok.get("model").get("vocab").size());
        assertTrue(json.readTree(out.resolve("tokenizer_config.json").toFile()).get("chat_template").asText()
                .contains("<|vision_start|><|image_pad|><|vision_end|>"));
    }
}
