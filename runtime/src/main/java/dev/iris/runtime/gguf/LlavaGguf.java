package dev.iris.runtime.gguf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * LLaVA-1.5 and LLaVA-NeXT (1.6) from llama.cpp's files: a {@code llama} text GGUF (Q/K rows in
 * llama.cpp's rotary order) and a {@code clip} mmproj with the two-layer MLP projector, as
 * llama.cpp's LLaVA image encoder converter writes it (the CLIP tower cut after the feature layer,
 * no final norm) — for NeXT with its anyres keys ({@code clip.vision.image_grid_pinpoints},
 * {@code spatial_unpad}) and {@code model.image_newline} — read back into the layout of
 * {@code LlavaForConditionalGeneration} or {@code LlavaNextForConditionalGeneration}.
 */
final class LlavaGguf {

    static final String PROJECTOR = "mlp";

    /** mmproj tensor suffix of a block → Hugging Face suffix under {@code encoder.layers.N.} (the MLP's two by shape). */
    private static final Map<String, String> BLOCK = Map.ofEntries(
            Map.entry("attn_q.weight", "self_attn.q_proj.weight"), Map.entry("attn_q.bias", "self_attn.q_proj.bias"),
            Map.entry("attn_k.weight", "self_attn.k_proj.weight"), Map.entry("attn_k.bias", "self_attn.k_proj.bias"),
            Map.entry("attn_v.weight", "self_attn.v_proj.weight"), Map.entry("attn_v.bias", "self_attn.v_proj.bias"),
            Map.entry("attn_out.weight", "self_attn.out_proj.weight"), Map.entry("attn_out.bias", "self_attn.out_proj.bias"),
            Map.entry("ln1.weight", "layer_norm1.weight"), Map.entry("ln1.bias", "layer_norm1.bias"),
            Map.entry("ln2.weight", "layer_norm2.weight"), Map.entry("ln2.bias", "layer_norm2.bias"));

    private static final String TOWER = "vision_tower.vision_model.";

    /** Tensors outside the blocks. */
    private static final Map<String, String> OTHERS = Map.ofEntries(
            Map.entry("v.class_embd", TOWER + "embeddings.class_embedding"),
            Map.entry("v.patch_embd.weight", TOWER + "embeddings.patch_embedding.weight"),
            Map.entry("v.position_embd.weight", TOWER + "embeddings.position_embedding.weight"),
            Map.entry("v.pre_ln.weight", TOWER + "pre_layrnorm.weight"),
            Map.entry("v.pre_ln.bias", TOWER + "pre_layrnorm.bias"),
            Map.entry("v.post_ln.weight", TOWER + "post_layernorm.weight"),
            Map.entry("v.post_ln.bias", TOWER + "post_layernorm.bias"),
            Map.entry("mm.0.weight", "multi_modal_projector.linear_1.weight"),
            Map.entry("mm.0.bias", "multi_modal_projector.linear_1.bias"),
            Map.entry("mm.2.weight", "multi_modal_projector.linear_2.weight"),
            Map.entry("mm.2.bias", "multi_modal_projector.linear_2.bias"),
            Map.entry("model.image_newline", "image_newline"));

    private LlavaGguf() {
    }

    /**
     * @param tokenizerJson the GGUF's vocabulary as tokenizer.json: gains an {@code <image>} token after
     *                      the vocabulary when it has none (llama.cpp's LLaVA files splice images without one)
     */
    static void convert(GgufFile text, GgufFile mmproj, List<String> tokens, ObjectNode config,
                        ObjectNode preprocessor, Map<String, GgufWeights.Recipe> weights, ObjectNode tokenizerJson)
            throws IOException {
        List<Long> pinpoints = mmproj.array("clip.vision.image_grid_pinpoints", Long.class).orElse(List.of());
        boolean next = !pinpoints.isEmpty();
        if (next != mmproj.tensors().containsKey("model.image_newline")) {
            throw new IOException(mmproj.path() + ": a LLaVA-NeXT projector has both clip.vision.image_grid_pinpoints and"
                    + " model.image_newline; this one has " + (next ? "no image_newline" : "no image_grid_pinpoints"));
        }
        String merge = mmproj.string("clip.vision.mm_patch_merge_type").orElse(next ? "spatial_unpad" : "flat");
        if (!merge.equals(next ? "spatial_unpad" : "flat") || pinpoints.size() % 2 != 0) {
            throw new IOException(mmproj.path() + ": clip.vision.mm_patch_merge_type '" + merge + "' with "
                    + pinpoints.size() + " pinpoint values is not a LLaVA layout Iris reads");
        }
        config.putArray("architectures").add(next ? "LlavaNextForConditionalGeneration" : "LlavaForConditionalGeneration");
        config.put("model_type", next ? "llava_next" : "llava");
        ObjectNode textConfig = config.putObject("text_config").put("model_type", "llama");
        TextGguf.config(text, textConfig);
        config.put("tie_word_embeddings", textConfig.get("tie_word_embeddings").asBoolean());
        int heads = textConfig.get("num_attention_heads").asInt();
        TextGguf.tensors(text, "language_model.model.", "language_model.lm_head.weight", true, heads,
                textConfig.get("num_key_value_heads").asInt(), weights);

        int imageToken = tokens.indexOf("<image>");
        if (imageToken < 0) {
            imageToken = tokens.size();
            tokenizerJson.withArray("added_tokens").addObject().put("id", imageToken).put("content", "<image>")
                    .put("special", true).put("lstrip", false).put("rstrip", false).put("normalized", false)
                    .put("single_word", false);
        }
        config.put("image_token_index", imageToken);
        config.put("projector_hidden_act", "gelu");
        config.put("vision_feature_select_strategy", "default");
        // The converter kept the blocks up to the feature layer: the features are the last block's output.
        config.put("vision_feature_layer", -1);

        int imageSize = TextGguf.requireInt(mmproj, "clip.vision.image_size");
        config.putObject("vision_config").put("model_type", "clip_vision_model")
                .put("hidden_size", TextGguf.requireInt(mmproj, "clip.vision.embedding_length"))
                .put("intermediate_size", TextGguf.requireInt(mmproj, "clip.vision.feed_forward_length"))
                .put("num_hidden_layers", TextGguf.requireInt(mmproj, "clip.vision.block_count"))
                .put("num_attention_heads", TextGguf.requireInt(mmproj, "clip.vision.attention.head_count"))
                .put("image_size", imageSize)
                .put("patch_size", TextGguf.requireInt(mmproj, "clip.vision.patch_size"))
                .put("layer_norm_eps", mmproj.number("clip.vision.attention.layer_norm_epsilon").orElse(1e-5))
                .put("hidden_act", mmproj.bool("clip.use_gelu").orElse(false) ? "gelu" : "quick_gelu");

        preprocessor.put("image_processor_type", next ? "LlavaNextImageProcessor" : "CLIPImageProcessor");
        ClipGguf.normalization(mmproj, preprocessor);
        preprocessor.put("do_resize", true).put("do_center_crop", true);
        if (next) {
            // Flattened (height, width) pairs in the file; the families read them as pairs.
            ArrayNode grid = config.putArray("image_grid_pinpoints");
            for (int i = 0; i < pinpoints.size(); i += 2) {
                grid.addArray().add(pinpoints.get(i)).add(pinpoints.get(i + 1));
            }
            preprocessor.set("image_grid_pinpoints", grid.deepCopy());
            preprocessor.put("do_pad", true);
            config.put("use_image_newline_parameter", true);
        }
        preprocessor.putObject("size").put("shortest_edge", imageSize);
        preprocessor.putObject("crop_size").put("height", imageSize).put("width", imageSize);
        visionTensors(mmproj, weights);
    }

    private static void visionTensors(GgufFile mmproj, Map<String, GgufWeights.Recipe> weights) throws IOException {
        int intermediate = TextGguf.requireInt(mmproj, "clip.vision.feed_forward_length");
        for (GgufTensor t : mmproj.tensors().values()) {
            String name = t.name();
            String[] parts = name.split("\\.", 4);
            if (OTHERS.containsKey(name)) {
                weights.put(OTHERS.get(name), GgufWeights.view(t));
            } else if (parts.length == 4 && parts[0].equals("v") && parts[1].equals("blk")) {
                String layer = TOWER + "encoder.layers." + parts[2] + ".";
                String suffix = parts[3];
                if (BLOCK.containsKey(suffix)) {
                    weights.put(layer + BLOCK.get(suffix), GgufWeights.view(t));
                } else if (suffix.startsWith("ffn_up.") || suffix.startsWith("ffn_down.")) {
                    // The legacy converter names fc1 "ffn_down" and fc2 "ffn_up", newer ones the other
                    // way round: fc1 is the one whose output is the MLP's width.
                    String kind = suffix.substring(suffix.indexOf('.') + 1);
                    GgufTensor weight = TextGguf.tensor(mmproj, name.substring(0, name.lastIndexOf('.' + kind)) + ".weight");
                    boolean fc1 = weight.shape().dim(0) == intermediate;
                    weights.put(layer + (fc1 ? "mlp.fc1." : "mlp.fc2.") + kind, GgufWeights.view(t));
                } else {
                    throw ClipGguf.unplaced(mmproj, name);
                }
            } else {
                throw ClipGguf.unplaced(mmproj, name);
            }
        }
    }
}
