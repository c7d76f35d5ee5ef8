package dev.iris.api.model;

import dev.iris.api.config.ConfigView;

/**
 * A family's image preprocessing, matching its Hugging Face processor value for value: convert to
 * RGB, resize (Pillow-exact), crop, pad, tile, rescale, normalise, flatten.
 */
public interface ImageProcessor {

    /**
     * Preprocesses one image.
     *
     * @param image     the decoded image
     * @param overrides per-request processor settings (e.g. Qwen2-VL's {@code min_pixels} and
     *                  {@code max_pixels}), which may not ask for more than the server's settings
     *                  allow; an empty view when the request has none
     * @throws IllegalArgumentException with a message fit for the client when the image cannot
     *                                  be processed (too small, too large, bad override)
     */
    ProcessedImage process(RgbaImage image, ConfigView overrides);

    /**
     * The processor for the images of a request that carries {@code images} of them. Most
     * families process every image alike (this processor); original LLaVA as SGLang serves it
     * turns each image of a multi-image request into one padded crop instead of anyres tiles.
     */
    default ImageProcessor forRequest(int images) {
        return this;
    }

    /**
     * The most prompt positions one image can take with the server's settings (the worst case
     * the server reports at start-up and sizes its limits by).
     */
    int maxPromptTokens();

    /**
     * The most images one request may carry for this family (the server refuses more with a 400,
     * before fetching any); no family limit by default.
     */
    default int maxImagesPerPrompt() {
        return Integer.MAX_VALUE;
    }
}
