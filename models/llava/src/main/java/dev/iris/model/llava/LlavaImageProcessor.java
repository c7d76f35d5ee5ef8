package dev.iris.model.llava;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.RgbaImage;
import dev.iris.modelkit.image.ClipImageTransform;

/**
 * LLaVA-1.5's preprocessing as llava-hf ships it (spec llava.md §4.2): CLIP's resize of the short
 * side and center crop; the image fills one crop and {@code patches} prompt positions.
 */
final class LlavaImageProcessor implements ImageProcessor {

    private final ClipImageTransform clip;
    private final int tokens;

    /** @param tokens feature rows per image (the tower's patches; the class token is dropped) */
    LlavaImageProcessor(ConfigView preprocessor, int tokens) {
        this.clip = new ClipImageTransform(preprocessor);
        this.tokens = tokens;
    }

    @Override
    public LlavaImage process(RgbaImage image, ConfigView overrides) {
        return new LlavaImage(clip.apply(image), 1, clip.cropHeight(), tokens);
    }

    @Override
    public int maxPromptTokens() {
        return tokens;
    }
}
