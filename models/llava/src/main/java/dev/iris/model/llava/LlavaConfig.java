package dev.iris.model.llava;

import dev.iris.api.config.ConfigException;
import dev.iris.api.config.ConfigView;
import dev.iris.modelkit.lm.DecoderConfig;
import dev.iris.modelkit.vision.ClipVisionConfig;

import java.util.List;

/**
 * A LLaVA checkpoint's config (spec llava.md §2): the text model, the vision tower, how the
 * tower's states are taken and how images become prompt positions.
 *
 * @param text          the language model
 * @param vision        the vision tower
 * @param imageTokenId  the placeholder id of an image in the prompt
 * @param featureLayer  the {@code hidden_states} entry used (negative from the end)
 * @param dropClass     CLIP's class token is dropped from the selected states
 * @param mode          crops, pinpoints and packing
 * @param contextLength the language model's {@code max_position_embeddings}
 */
record LlavaConfig(DecoderConfig text, ClipVisionConfig vision, int imageTokenId, int featureLayer, boolean dropClass,
                   LlavaImageMode mode, int contextLength) {

    /** A llava-hf composite config: {@code text_config}, {@code vision_config} and the LLaVA keys around them. */
    static LlavaConfig from(ConfigView config) {
        ConfigView textConfig = config.requireObject("text_config");
        DecoderConfig text = DecoderConfig.from(textConfig, config.boolOr("tie_word_embeddings", false));
        ClipVisionConfig vision = ClipVisionConfig.from(config.requireObject("vision_config"));
        String strategy = config.string("vision_feature_select_strategy").orElse("default");
        String aspect = config.string("vision_aspect_ratio").orElse("");
        LlavaImageMode mode = LlavaImageMode.transformers(pinpoints(config), maxPatches(aspect));
        return new LlavaConfig(text, vision, config.requireInt("image_token_index"), config.intOr("vision_feature_layer", -2),
                strategy.equals("default") && vision.classToken(), mode, textConfig.intOr("max_position_embeddings", 4096));
    }

    /**
     * An original LLaVA config (§2.4): the language model's keys at the top level, the {@code mm_*}
     * keys, and the vision tower's own config that {@code mm_vision_tower} leads to.
     *
     * @param decoder the language model the architecture names ({@code llama}, {@code mistral}, {@code qwen2})
     */
    static LlavaConfig original(ConfigView config, String decoder, ClipVisionConfig vision) {
        DecoderConfig text = DecoderConfig.from(config, decoder, false);
        int mmHidden = config.intOr("mm_hidden_size", vision.hidden());
        if (mmHidden != vision.hidden()) {
            throw new ConfigException(config.source() + ": 'mm_hidden_size' " + mmHidden + " differs from the hidden size "
                    + vision.hidden() + " of the tower 'mm_vision_tower' names");
        }
        String feature = config.stringOr("mm_vision_select_feature", "patch");
        if (!feature.equals("patch") && vision.classToken()) {
            throw new ConfigException(config.source() + ": 'mm_vision_select_feature' '" + feature
                    + "' keeps CLIP's class token; only 'patch' is supported");
        }
        // SigLIP has no class token: nothing is dropped whatever the file says (SGLang forces "full").
        int defaultImageToken = decoder.equals("qwen2") ? 151646 : 32000;
        return new LlavaConfig(text, vision, config.intOr("image_token_index", defaultImageToken),
                config.intOr("mm_vision_select_layer", -2), vision.classToken(), originalMode(config),
                config.intOr("max_position_embeddings", 4096));
    }

    /** {@code image_aspect_ratio} ({@code pad}, {@code anyres}, {@code anyres_max_N}, else one CLIP crop) and {@code mm_patch_merge_type}. */
    static LlavaImageMode originalMode(ConfigView config) {
        String aspect = config.stringOr("image_aspect_ratio", "square");
        String merge = config.stringOr("mm_patch_merge_type", "flat");
        if (!merge.equals("flat") && !merge.equals("spatial_unpad")) {
            throw new ConfigException(config.source() + ": 'mm_patch_merge_type' '" + merge
                    + "' is not supported (flat, spatial_unpad)");
        }
        boolean anyres = aspect.equals("anyres") || aspect.startsWith("anyres_max_");
        List<int[]> pinpoints = anyres ? pinpoints(config) : List.of();
        if (anyres && pinpoints.isEmpty()) {
            throw new ConfigException(config.source() + ": 'image_aspect_ratio' '" + aspect
                    + "' needs 'image_grid_pinpoints'");
        }
        if (!anyres && !aspect.equals("pad") && !aspect.equals("square")) {
            throw new ConfigException(config.source() + ": 'image_aspect_ratio' '" + aspect
                    + "' is not supported (pad, square, anyres, anyres_max_N)");
        }
        return new LlavaImageMode(aspect.equals("pad"), pinpoints, maxPatches(aspect), AnyresLayout.Convention.ORIGINAL,
                merge.equals("spatial_unpad"));
    }

    private static List<int[]> pinpoints(ConfigView config) {
        return config.integerMatrix("image_grid_pinpoints").orElse(List.of()).stream()
                .map(p -> new int[]{p.get(0).intValue(), p.get(1).intValue()}).toList();
    }

    private static int maxPatches(String aspect) {
        return aspect.startsWith("anyres_max_") ? Integer.parseInt(aspect.substring("anyres_max_".length())) : 0;
    }

    /** Encoder layers to run: {@code hidden_states[k]} is the stream after k layers (entry 0: the embeddings). */
    int layersUsed() {
        return featureLayer < 0 ? vision.layers() + 1 + featureLayer : featureLayer;
    }

    /** Feature rows per crop. */
    int tokensPerCrop() {
        return vision.tokens() - (dropClass ? 1 : 0);
    }

    /** Feature rows per crop side (the patch grid's side). */
    int side() {
        return vision.imageSize() / vision.patch();
    }
}
