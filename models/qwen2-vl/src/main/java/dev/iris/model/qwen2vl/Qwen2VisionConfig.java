package dev.iris.model.qwen2vl;

import dev.iris.api.config.ConfigView;

/**
 * {@code vision_config} of a Qwen2-VL checkpoint.
 *
 * @param depth       vision blocks
 * @param embedDim    width of the blocks
 * @param heads       attention heads
 * @param mlpRatio    MLP width over {@code embedDim}
 * @param patch       patch side in pixels
 * @param temporal    frames per temporal patch
 * @param merge       patches merged per side by the PatchMerger
 * @param outDim      the language model's hidden size (the merger's output)
 */
record Qwen2VisionConfig(int depth, int embedDim, int heads, int mlpRatio, int patch, int temporal, int merge,
                         int outDim) {

    static Qwen2VisionConfig from(ConfigView config) {
        ConfigView v = config.requireObject("vision_config");
        return new Qwen2VisionConfig(v.requireInt("depth"), v.requireInt("embed_dim"), v.requireInt("num_heads"),
                v.intOr("mlp_ratio", 4), v.intOr("patch_size", v.intOr("spatial_patch_size", 14)),
                v.intOr("temporal_patch_size", 2), v.intOr("spatial_merge_size", 2),
                v.intOr("hidden_size", config.requireInt("hidden_size")));
    }

    int headDim() {
        return embedDim / heads;
    }

    /** Values per patch: 3 channels × frames × patch². */
    int patchValues() {
        return 3 * temporal * patch * patch;
    }
}
