package dev.iris.runtime.gguf;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The decoder of a text GGUF ({@code qwen2vl}, {@code llama}) in Hugging Face terms: its
 * {@code <arch>.*} metadata as config.json keys, its {@code blk.N.*} tensors under
 * {@code model.layers.N.*} names (llama.cpp's {@code tensor_mapping.py}, read backwards).
 */
final class TextGguf {

    /** GGUF tensor suffix of a block → Hugging Face suffix under {@code layers.N.}. */
    private static final Map<String, String> BLOCK = Map.ofEntries(
            Map.entry("attn_norm.weight", "input_layernorm.weight"),
            Map.entry("ffn_norm.weight", "post_attention_layernorm.weight"),
            Map.entry("attn_q.weight", "self_attn.q_proj.weight"),
            Map.entry("attn_q.bias", "self_attn.q_proj.bias"),
            Map.entry("attn_k.weight", "self_attn.k_proj.weight"),
            Map.entry("attn_k.bias", "self_attn.k_proj.bias"),
            Map.entry("attn_v.weight", "self_attn.v_proj.weight"),
            Map.entry("attn_v.bias", "self_attn.v_proj.bias"),
            Map.entry("attn_output.weight", "self_attn.o_proj.weight"),
            Map.entry("ffn_gate.weight", "mlp.gate_proj.weight"),
            Map.entry("ffn_up.weight", "mlp.up_proj.weight"),
            Map.entry("ffn_down.weight", "mlp.down_proj.weight"));

    private TextGguf() {
    }

    /**
     * The decoder's config keys ({@code hidden_size}, heads, rotary base, ...), put into {@code config};
     * the embeddings are tied when the file has no {@code output.weight}.
     */
    static void config(GgufFile text, ObjectNode config) throws IOException {
        String a = text.require("general.architecture", text.string("general.architecture"));
        int hidden = requireInt(text, a + ".embedding_length");
        int heads = requireInt(text, a + ".attention.head_count");
        config.put("hidden_size", hidden);
        config.put("num_hidden_layers", requireInt(text, a + ".block_count"));
        config.put("intermediate_size", requireInt(text, a + ".feed_forward_length"));
        config.put("num_attention_heads", heads);
        config.put("num_key_value_heads", text.integer(a + ".attention.head_count_kv").orElse((long) heads));
        config.put("head_dim", text.integer(a + ".attention.key_length").orElse((long) (hidden / heads)));
        config.put("max_position_embeddings", requireInt(text, a + ".context_length"));
        config.put("rms_norm_eps", text.require(a + ".attention.layer_norm_rms_epsilon",
                text.number(a + ".attention.layer_norm_rms_epsilon")));
        config.put("rope_theta", text.number(a + ".rope.freq_base").orElse(10000.0));
        String scaling = text.string(a + ".rope.scaling.type").orElse("none");
        if (!scaling.equals("none") || text.tensors().containsKey("rope_freqs.weight")) {
            throw new IOException(text.path() + ": rotary scaling ("
                    + (scaling.equals("none") ? "rope_freqs.weight" : a + ".rope.scaling.type " + scaling)
                    + ") is not read from GGUF by Iris");
        }
        GgufTensor embeddings = tensor(text, "token_embd.weight");
        config.put("vocab_size", embeddings.shape().dim(0));
        config.put("tie_word_embeddings", !text.tensors().containsKey("output.weight"));
    }

    /**
     * The decoder's tensors under Hugging Face names.
     *
     * @param prefix  what goes before {@code layers.N.}, e.g. {@code model.}
     * @param lmHead  the LM head's name, e.g. {@code lm_head.weight}
     * @param permute Q and K rows are in llama.cpp's rotary order ({@code llama} conversions)
     * @throws IOException naming a tensor that has no place in the layout
     */
    static void tensors(GgufFile text, String prefix, String lmHead, boolean permute, int heads, int kvHeads,
                        Map<String, GgufWeights.Recipe> out) throws IOException {
        List<String> unplaced = new ArrayList<>();
        for (GgufTensor t : text.tensors().values()) {
            String name = t.name();
            switch (name) {
                case "token_embd.weight" -> out.put(prefix + "embed_tokens.weight", GgufWeights.view(t));
                case "output_norm.weight" -> out.put(prefix + "norm.weight", GgufWeights.view(t));
                case "output.weight" -> out.put(lmHead, GgufWeights.view(t));
                default -> {
                    String[] parts = name.split("\\.", 3);
                    String hf = parts.length == 3 && parts[0].equals("blk") ? BLOCK.get(parts[2]) : null;
                    if (hf == null) {
                        unplaced.add(name);
                        continue;
                    }
                    String target = prefix + "layers." + parts[1] + "." + hf;
                    boolean q = parts[2].startsWith("attn_q.");
                    boolean k = parts[2].startsWith("attn_k.");
                    out.put(target, permute && (q || k) ? GgufWeights.unpermuted(t, q ? heads : kvHeads)
                            : GgufWeights.view(t));
                }
            }
        }
        if (!unplaced.isEmpty()) {
            throw new IOException(text.path() + ": tensor '" + unplaced.getFirst() + "'"
                    + (unplaced.size() > 1 ? " (and " + (unplaced.size() - 1) + " more)" : "")
                    + " has no place in the " + text.architecture() + " model Iris reads");
        }
    }

    static GgufTensor tensor(GgufFile file, String name) throws IOException {
        GgufTensor t = file.tensors().get(name);
        if (t == null) {
            throw new IOException(file.path() + ": no tensor '" + name + "'");
        }
        return t;
    }

    static int requireInt(GgufFile file, String key) throws IOException {
        return Math.toIntExact(file.require(key, file.integer(key)));
    }
}
