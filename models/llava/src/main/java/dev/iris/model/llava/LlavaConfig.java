package dev.iris.model.llava;

import dev.iris.api.config.ConfigView;
import dev.iris.modelkit.lm.DecoderConfig;
import dev.iris.modelkit.vision.ClipVisionConfig;

import java.util.List;

/**
 * A llava-hf checkpoint's config (spec llava.md §2): the text model, the vision tower, and how the
 * tower's states are taken.
 *
 * @param text          the language model ({@code text_config})
 * @param vision        the vision tower ({@code vision_config})
 * @param imageTokenId  {@code image_token_index}
 * @param featureLayer  the {@code hidden_states} entry used ({@code vision_feature_layer}, negative from the end)
 * @param dropClass     {@code vision_feature_select_strategy} {@code default}: the class token is dropped
 * @param pinpoints     anyres {@code image_grid_pinpoints} as (height, width); empty for LLaVA-1.5
 * @param maxPatches    OneVision's {@code anyres_max_N}: the feature map is shrunk to about N tiles' worth; 0 for none
 */
record LlavaConfig(DecoderConfig text, ClipVisionConfig vision, int imageTokenId, int featureLayer, boolean dropClass,
                   List<int[]> pinpoints, int maxPatches) {

    static LlavaConfig from(ConfigView config) {
        DecoderConfig text = DecoderConfig.from(config.requireObject("text_config"), config.boolOr("tie_word_embeddings", false));
        ClipVisionConfig vision = ClipVisionConfig.from(config.requireObject("vision_config"));
        String strategy = config.string("vision_feature_select_strategy").orElse("default");
        List<int[]> pinpoints = config.integerMatrix("image_grid_pinpoints").orElse(List.of()).stream()
                .map(p -> new int[]{p.get(0).intValue(), p.get(1).intValue()}).toList();
        String aspect = config.string("vision_aspect_ratio").orElse("");
        int maxPatches = aspect.startsWith("anyres_max_") ? Integer.parseInt(aspect.substring("anyres_max_".length())) : 0;
        return new LlavaConfig(text, vision, config.requireInt("image_token_index"), config.intOr("vision_feature_layer", -2),
                strategy.equals("default") && vision.classToken(), pinpoints, maxPatches);
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
