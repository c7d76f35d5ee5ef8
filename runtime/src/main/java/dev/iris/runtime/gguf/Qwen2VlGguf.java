package dev.iris.runtime.gguf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Qwen2-VL from llama.cpp's files: a {@code qwen2vl} text GGUF and a {@code clip} mmproj with the
 * {@code qwen2vl_merger} projector, read back into the layout of {@code Qwen2VLForConditionalGeneration}
 * (llama.cpp's {@code Qwen2VLVisionModel} converter, undone: its Q/K/V split joined into QKV again,
 * its two per-frame patch kernels stacked back into the Conv3d).
 */
final class Qwen2VlGguf {

    static final String PROJECTOR = "qwen2vl_merger";

    /** Image settings of Qwen2-VL-2B/7B-Instruct's preprocessor_config.json, which an mmproj does not carry. */
    private static final long MIN_PIXELS = 56 * 56;
    private static final long MAX_PIXELS = 12845056;

    /** mmproj tensor suffix of a block → Hugging Face suffix under {@code visual.blocks.N.}. */
    private static final Map<String, String> BLOCK = Map.of(
            "attn_out.weight", "attn.proj.weight",
            "attn_out.bias", "attn.proj.bias",
            "ln1.weight", "norm1.weight",
            "ln1.bias", "norm1.bias",
            "ln2.weight", "norm2.weight",
            "ln2.bias", "norm2.bias",
            "ffn_up.weight", "mlp.fc1.weight",
            "ffn_up.bias", "mlp.fc1.bias",
            "ffn_down.weight", "mlp.fc2.weight",
            "ffn_down.bias", "mlp.fc2.bias");

    /** Tensors outside the blocks. */
    private static final Map<String, String> OTHERS = Map.of(
            "v.post_ln.weight", "visual.merger.ln_q.weight",
            "v.post_ln.bias", "visual.merger.ln_q.bias",
            "mm.0.weight", "visual.merger.mlp.0.weight",
            "mm.0.bias", "visual.merger.mlp.0.bias",
            "mm.2.weight", "visual.merger.mlp.2.weight",
            "mm.2.bias", "visual.merger.mlp.2.bias");

    private Qwen2VlGguf() {
    }

    static void convert(GgufFile text, GgufFile mmproj, List<String> tokens, ObjectNode config,
                        ObjectNode preprocessor, Map<String, GgufWeights.Recipe> weights) throws IOException {
        config.putArray("architectures").add("Qwen2VLForConditionalGeneration");
        config.put("model_type", "qwen2_vl");
        TextGguf.config(text, config);
        ObjectNode rope = config.putObject("rope_scaling").put("type", "mrope");
        ArrayNode sections = rope.putArray("mrope_section");
        List<Long> stored = text.require("qwen2vl.rope.dimension_sections",
                text.array("qwen2vl.rope.dimension_sections", Long.class));
        stored.stream().filter(s -> s > 0).forEach(sections::add); // llama.cpp pads the three sections to four
        config.put("image_token_id", tokenId(text, tokens, "<|image_pad|>"));
        config.put("video_token_id", tokenId(text, tokens, "<|video_pad|>"));
        config.put("vision_start_token_id", tokenId(text, tokens, "<|vision_start|>"));
        config.put("vision_end_token_id", tokenId(text, tokens, "<|vision_end|>"));
        TextGguf.tensors(text, "model.", "lm_head.weight", false, 0, 0, weights);

        int embed = TextGguf.requireInt(mmproj, "clip.vision.embedding_length");
        GgufTensor fc1 = TextGguf.tensor(mmproj, "v.blk.0.ffn_up.weight");
        GgufTensor out = TextGguf.tensor(mmproj, "mm.2.weight");
        int patch = TextGguf.requireInt(mmproj, "clip.vision.patch_size");
        long merge = mmproj.integer("clip.vision.spatial_merge_size").orElse(2L);
        config.putObject("vision_config")
                .put("depth", TextGguf.requireInt(mmproj, "clip.vision.block_count"))
                .put("embed_dim", embed)
                .put("num_heads", TextGguf.requireInt(mmproj, "clip.vision.attention.head_count"))
                .put("mlp_ratio", fc1.shape().dim(0) / embed)
                .put("patch_size", patch)
                .put("temporal_patch_size", 2)
                .put("spatial_merge_size", merge)
                .put("hidden_size", out.shape().dim(0));
        if (out.shape().dim(0) != config.get("hidden_size").asInt()) {
            throw new IOException(mmproj.path() + ": the projector gives " + out.shape().dim(0) + " values per image"
                    + " token, but " + text.path() + " has a hidden size of " + config.get("hidden_size").asInt());
        }
        preprocessor.put("image_processor_type", "Qwen2VLImageProcessor");
        ClipGguf.normalization(mmproj, preprocessor);
        preprocessor.put("patch_size", patch).put("temporal_patch_size", 2).put("merge_size", merge)
                .put("min_pixels", mmproj.integer("clip.vision.image_min_pixels").orElse(MIN_PIXELS))
                .put("max_pixels", mmproj.integer("clip.vision.image_max_pixels").orElse(MAX_PIXELS));
        visionTensors(mmproj, weights);
    }

    private static void visionTensors(GgufFile mmproj, Map<String, GgufWeights.Recipe> weights) throws IOException {
        Map<String, GgufTensor> all = mmproj.tensors();
        weights.put("visual.patch_embed.proj.weight", GgufWeights.framesStacked(TextGguf.tensor(mmproj, "v.patch_embd.weight"),
                TextGguf.tensor(mmproj, "v.patch_embd.weight.1")));
        for (GgufTensor t : all.values()) {
            String name = t.name();
            String[] parts = name.split("\\.", 4);
            if (OTHERS.containsKey(name)) {
                weights.put(OTHERS.get(name), GgufWeights.view(t));
            } else if (parts.length == 4 && parts[0].equals("v") && parts[1].equals("blk")) {
                String suffix = parts[3];
                String block = "visual.blocks." + parts[2] + ".";
                if (suffix.startsWith("attn_q.")) {
                    String kind = suffix.substring("attn_q.".length());
                    String at = "v.blk." + parts[2] + ".attn_";
                    weights.put(block + "attn.qkv." + kind, GgufWeights.concatenated(List.of(t,
                            TextGguf.tensor(mmproj, at + "k." + kind), TextGguf.tensor(mmproj, at + "v." + kind))));
                } else if (BLOCK.containsKey(suffix)) {
                    weights.put(block + BLOCK.get(suffix), GgufWeights.view(t));
                } else if (!suffix.startsWith("attn_k.") && !suffix.startsWith("attn_v.")) {
                    throw ClipGguf.unplaced(mmproj, name);
                }
            } else if (!name.startsWith("v.patch_embd.")) {
                throw ClipGguf.unplaced(mmproj, name);
            }
        }
    }

    private static int tokenId(GgufFile text, List<String> tokens, String token) throws IOException {
        int id = tokens.indexOf(token);
        if (id < 0) {
            throw new IOException(text.path() + ": the vocabulary has no '" + token + "' token, which Qwen2-VL's prompts need");
        }
        return id;
    }
}
