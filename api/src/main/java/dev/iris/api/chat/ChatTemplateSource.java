package dev.iris.api.chat;

import dev.iris.api.IrisPlugin;
import dev.iris.api.config.ConfigView;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Makes chat templates from files rather than by name: a checkpoint's own template (Hugging Face
 * {@code chat_template.json}, or {@code chat_template} in {@code tokenizer_config.json}) and the
 * template files {@code --chat-template} accepts. The host reads the JSON files and passes their
 * views, so a source needs nothing beyond this API.
 */
public interface ChatTemplateSource extends IrisPlugin {

    /**
     * The checkpoint's own chat template, if it has one.
     *
     * @param modelName        a name for messages and listings
     * @param tokenizerConfig  {@code tokenizer_config.json} (empty view when absent): special tokens,
     *                         and the template when {@code chatTemplateJson} has none
     * @param chatTemplateJson {@code chat_template.json} (empty view when absent)
     * @throws IOException when there is a template but it cannot be parsed
     */
    Optional<ChatTemplate> fromModel(String modelName, ConfigView tokenizerConfig, ConfigView chatTemplateJson)
            throws IOException;

    /**
     * A template file given to {@code --chat-template}; empty when this source does not read that
     * kind of file.
     *
     * @param json            the file parsed as JSON when it is a {@code .json} file, else null
     * @param tokenizerConfig the served model's {@code tokenizer_config.json} (special tokens)
     * @throws IOException when the file is of this source's kind but cannot be read or parsed
     */
    Optional<ChatTemplate> fromFile(Path file, ConfigView json, ConfigView tokenizerConfig) throws IOException;
}
