package dev.iris.model.mllama;

import dev.iris.api.config.ConfigView;

import java.util.List;

/**
 * {@code vision_config} of a Mllama checkpoint (spec mllama.md §2.3), with the defaults HF applies
 * when the published config leaves a key out.
 *
 * @param hidden               width of the encoder
 * @param heads                attention heads ({@code attention_heads}, or {@code num_attention_heads})
 * @param intermediate         MLP width
 * @param layers               local transformer layers
 * @param globalLayers         gated global transformer layers
 * @param tile                 tile side in pixels ({@code image_size})
 * @param patch                patch side in pixels
 * @param maxTiles             tiles the encoder always runs
 * @param intermediateIndices  local layers whose input states join the output, in this order
 * @param outputDim            features per token: {@code hidden × (1 + intermediateIndices.size())}
 * @param normEps              LayerNorm epsilon
 */
record MllamaVisionConfig(int hidden, int heads, int intermediate, int layers, int globalLayers, int tile, int patch,
                          int maxTiles, List<Integer> intermediateIndices, int outputDim, float normEps) {

    static MllamaVisionConfig from(ConfigView config) {
        ConfigView v = config.requireObject("vision_config");
        int hidden = v.requireInt("hidden_size");
        List<Integer> indices = v.integers("intermediate_layers_indices").map(l -> l.stream().map(Long::intValue).toList())
                .orElse(List.of(3, 7, 15, 23, 30));
        int out = v.intOr("vision_output_dim", hidden * (1 + indices.size()));
        if (out != hidden * (1 + indices.size())) {
            throw new IllegalArgumentException("vision_output_dim " + out + " is not hidden_size × (1 + "
                    + indices.size() + " intermediate layers)");
        }
        return new MllamaVisionConfig(hidden, v.intOr("attention_heads", v.intOr("num_attention_heads", 16)),
                v.requireInt("intermediate_size"), v.intOr("num_hidden_layers", 32), v.intOr("num_global_layers", 8),
                v.intOr("image_size", 560), v.intOr("patch_size", 14), v.intOr("max_num_tiles", 4), indices, out,
                v.number("norm_eps").orElse(1e-5).floatValue());
    }

    int headDim() {
        return hidden / heads;
    }

    /** Patches per tile. */
    int patches() {
        return (tile / patch) * (tile / patch);
    }

    /** Tokens per tile: the patches and the class token. */
    int tokens() {
        return patches() + 1;
    }

    /** Tokens per tile after padding to a multiple of 8. */
    int paddedTokens() {
        return (tokens() + 7) / 8 * 8;
    }
}
