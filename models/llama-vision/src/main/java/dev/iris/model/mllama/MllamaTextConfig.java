package dev.iris.model.mllama;

import dev.iris.api.config.ConfigView;
import dev.iris.modelkit.lm.DecoderConfig;
import dev.iris.modelkit.rope.RopeScaling;

import java.util.List;

/**
 * {@code text_config} of a Mllama checkpoint (spec mllama.md §2.2): a Llama-3.1 decoder whose
 * layer list has cross-attention layers at {@code cross_attention_layers}.
 *
 * @param decoder       the self-attention layers' shape ({@code layers} counts only them)
 * @param totalLayers   all layers, self and cross
 * @param crossLayers   indices of the cross-attention layers in the full stack
 * @param contextLength {@code max_position_embeddings}
 */
record MllamaTextConfig(DecoderConfig decoder, int totalLayers, List<Integer> crossLayers, int contextLength) {

    static MllamaTextConfig from(ConfigView config) {
        ConfigView t = config.requireObject("text_config");
        int hidden = t.requireInt("hidden_size");
        int heads = t.requireInt("num_attention_heads");
        int total = t.requireInt("num_hidden_layers");
        List<Integer> cross = t.integers("cross_attention_layers").map(l -> l.stream().map(Long::intValue).toList())
                .orElse(List.of(3, 8, 13, 18, 23, 28, 33, 38));
        for (int i : cross) {
            if (i < 0 || i >= total) {
                throw new IllegalArgumentException("cross-attention layer " + i + " outside the " + total + " layers");
            }
        }
        DecoderConfig decoder = new DecoderConfig("mllama_text_model", hidden, total - cross.size(), heads,
                t.intOr("num_key_value_heads", heads), t.intOr("head_dim", hidden / heads),
                t.requireInt("intermediate_size"), t.requireInt("vocab_size"), t.numberOr("rms_norm_eps", 1e-5),
                t.numberOr("rope_theta", 500000.0), RopeScaling.from(t.object("rope_scaling").orElse(null)), null,
                false, false, t.boolOr("tie_word_embeddings", false));
        return new MllamaTextConfig(decoder, total, cross, t.intOr("max_position_embeddings", 131072));
    }

    boolean isCross(int layer) {
        return crossLayers.contains(layer);
    }
}
