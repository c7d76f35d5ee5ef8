package dev.iris.api.model;

import dev.iris.api.IrisPlugin;
import dev.iris.api.config.ConfigView;

import java.io.IOException;
import java.util.Set;

/**
 * A model family (e.g. {@code "qwen2-vl"}): recognises its checkpoints and builds models from
 * them. The runtime picks the architecture whose {@link #architectures()} contains the first
 * entry of the checkpoint's {@code config.json} {@code architectures} list.
 */
public interface ModelArchitecture extends IrisPlugin {

    /** The Hugging Face {@code architectures} values served, e.g. {@code Qwen2VLForConditionalGeneration}. */
    Set<String> architectures();

    /** The chat template used when the operator names none (a {@link dev.iris.api.chat.ChatTemplate#name()}). */
    String defaultChatTemplate();

    /**
     * Checks {@code config.json} without loading weights, so a bad checkpoint fails at start-up
     * with a message naming the key.
     *
     * @throws dev.iris.api.config.ConfigException when a required key is missing or malformed
     */
    void validate(ConfigView config);

    /**
     * Builds the model: reads the configuration, maps the checkpoint's weights onto the compute
     * backend (without copying where the backend allows) and checks that every tensor it needs
     * is present with the expected shape.
     *
     * @throws IOException naming the tensor when the checkpoint lacks one or has a wrong shape
     */
    VisionLanguageModel load(ModelContext context) throws IOException;
}
