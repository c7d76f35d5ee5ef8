package dev.iris.modelkit.vision;

import dev.iris.api.compute.Activation;
import dev.iris.api.config.ConfigView;

/**
 * A CLIP or SigLIP vision transformer's {@code vision_config} (LLaVA's towers; spec llava.md §2.2).
 *
 * @param hidden       width
 * @param intermediate MLP width
 * @param layers       encoder layers in the checkpoint
 * @param heads        attention heads
 * @param imageSize    input side in pixels
 * @param patch        patch side in pixels
 * @param eps          LayerNorm epsilon
 * @param activation   the MLP's activation ({@code quick_gelu} for CLIP, tanh GELU for SigLIP)
 * @param classToken   CLIP's class token and pre-LayerNorm (SigLIP has neither, but a patch bias)
 */
public record ClipVisionConfig(int hidden, int intermediate, int layers, int heads, int imageSize, int patch,
                               float eps, Activation activation, boolean classToken) {

    public static ClipVisionConfig from(ConfigView v) {
        String type = v.string("model_type").orElse("clip_vision_model");
        boolean siglip = type.startsWith("siglip");
        String act = v.string("hidden_act").orElse(siglip ? "gelu_pytorch_tanh" : "quick_gelu");
        Activation activation = switch (act) {
            case "quick_gelu" -> Activation.QUICK_GELU;
            case "gelu_pytorch_tanh", "gelu_new" -> Activation.GELU_TANH;
            case "gelu" -> Activation.GELU_ERF;
            default -> throw new IllegalArgumentException("vision hidden_act '" + act + "' is not supported");
        };
        return new ClipVisionConfig(v.requireInt("hidden_size"), v.requireInt("intermediate_size"),
                v.requireInt("num_hidden_layers"), v.requireInt("num_attention_heads"), v.requireInt("image_size"),
                v.requireInt("patch_size"), v.number("layer_norm_eps").orElse(siglip ? 1e-6 : 1e-5).floatValue(), activation,
                !siglip);
    }

    public int headDim() {
        return hidden / heads;
    }

    /** Patches per image. */
    public int patches() {
        return (imageSize / patch) * (imageSize / patch);
    }

    /** Tokens per image: the patches, and the class token for CLIP. */
    public int tokens() {
        return patches() + (classToken ? 1 : 0);
    }
}
