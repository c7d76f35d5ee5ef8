package dev.iris.modelkit.lm;

import dev.iris.api.config.ConfigException;
import dev.iris.api.config.ConfigView;
import dev.iris.modelkit.rope.RopeScaling;

import java.util.List;

/**
 * The shape of a decoder-only language model of the Llama family (Llama, Mistral, Qwen2 and
 * Qwen2-VL's text model), read from its Hugging Face config with the defaults those classes use.
 *
 * @param modelType      {@code llama}, {@code mistral}, {@code qwen2} or {@code qwen2_vl}
 * @param hidden         {@code hidden_size}
 * @param layers         {@code num_hidden_layers}
 * @param heads          {@code num_attention_heads}
 * @param kvHeads        {@code num_key_value_heads} (heads when absent)
 * @param headDim        {@code head_dim} (hidden / heads when absent)
 * @param intermediate   {@code intermediate_size}
 * @param vocab          {@code vocab_size}
 * @param rmsEps         {@code rms_norm_eps} (1e-6 when absent)
 * @param ropeTheta      {@code rope_theta} (10000 when absent)
 * @param ropeScaling    llama3 scaling, or null
 * @param mropeSection   Qwen2-VL's {@code rope_scaling.mrope_section}, or null for 1-D RoPE
 * @param qkvBias        q/k/v projections have biases (Qwen2 always; Llama with {@code attention_bias})
 * @param outputBias     o_proj has a bias (Llama with {@code attention_bias})
 * @param tiedEmbeddings the LM head reuses {@code embed_tokens}
 */
public record DecoderConfig(String modelType, int hidden, int layers, int heads, int kvHeads, int headDim,
                            int intermediate, int vocab, double rmsEps, double ropeTheta, RopeScaling ropeScaling,
                            int[] mropeSection, boolean qkvBias, boolean outputBias, boolean tiedEmbeddings) {

    private static final List<String> TYPES = List.of("llama", "mistral", "qwen2", "qwen2_vl");

    /**
     * Reads a text model's config: the {@code text_config} of a LLaVA checkpoint, or the top level
     * of a Qwen2-VL one.
     *
     * @param tiedDefault {@code tie_word_embeddings} when the text config does not say (the
     *                    composite config's value)
     */
    public static DecoderConfig from(ConfigView c, boolean tiedDefault) {
        return from(c, c.requireString("model_type"), tiedDefault);
    }

    /**
     * Reads a text model's config whose {@code model_type} names something else (original LLaVA
     * checkpoints say {@code llava} or {@code llava_qwen} over a flat Llama or Qwen2 config).
     *
     * @param type the decoder the checkpoint's architecture implies
     */
    public static DecoderConfig from(ConfigView c, String type, boolean tiedDefault) {
        if (!TYPES.contains(type)) {
            throw new ConfigException(c.source() + ": model_type '" + type + "' is not a decoder Iris knows " + TYPES);
        }
        int hidden = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        int kvHeads = c.intOr("num_key_value_heads", heads);
        if (heads % kvHeads != 0) {
            throw new ConfigException(c.source() + ": num_attention_heads " + heads + " is not a multiple of"
                    + " num_key_value_heads " + kvHeads);
        }
        ConfigView scaling = c.object("rope_scaling").orElse(null);
        int[] mrope = scaling == null ? null : scaling.integers("mrope_section")
                .map(l -> l.stream().mapToInt(Long::intValue).toArray()).orElse(null);
        boolean qwen = type.startsWith("qwen2");
        boolean bias = c.boolOr("attention_bias", false);
        return new DecoderConfig(type, hidden, c.requireInt("num_hidden_layers"), heads, kvHeads,
                c.intOr("head_dim", hidden / heads), c.requireInt("intermediate_size"), c.requireInt("vocab_size"),
                c.numberOr("rms_norm_eps", 1e-6), c.numberOr("rope_theta", 10000.0), RopeScaling.from(scaling), mrope,
                qwen || bias, !qwen && bias, c.boolOr("tie_word_embeddings", tiedDefault));
    }
}
