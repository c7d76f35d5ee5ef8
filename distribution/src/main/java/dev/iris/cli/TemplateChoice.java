package dev.iris.cli;

import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ChatTemplateSource;
import dev.iris.api.config.ConfigView;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.plugin.PluginKind;
import dev.iris.runtime.plugin.PluginRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The chat template a launch uses, from {@code --chat-template} or the model. */
final class TemplateChoice {

    private static final System.Logger LOG = System.getLogger(TemplateChoice.class.getName());

    private TemplateChoice() {
    }

    /**
     * {@code --chat-template}: a plugin's template by name, else a template file a template source
     * reads. Without it: the checkpoint's own Jinja template, else the family's default (logged as
     * SGLang does when it infers one).
     */
    static ChatTemplate choose(String name, PluginRegistry plugins, LoadedModel loaded) throws IOException {
        ConfigView tokenizerConfig = loaded.checkpoint().tokenizerConfig();
        List<ChatTemplateSource> sources = plugins.ofKind(PluginKind.TEMPLATE_SOURCE).stream()
                .map(p -> (ChatTemplateSource) p.provider()).toList();
        if (name == null) {
            ConfigView own = loaded.checkpoint().chatTemplate();
            for (ChatTemplateSource source : sources) {
                Optional<ChatTemplate> t = source.fromModel(loaded.checkpoint().name(), tokenizerConfig, own);
                if (t.isPresent()) {
                    LOG.log(System.Logger.Level.INFO, "Using the model's own chat template: " + t.get().name() + ".");
                    return t.get();
                }
            }
            String inferred = loaded.architecture().defaultChatTemplate();
            LOG.log(System.Logger.Level.INFO, "Infer the chat template name from the model path and obtain the result: "
                    + inferred + ".");
            return plugins.find(ChatTemplate.class, inferred)
                    .orElseThrow(() -> new IOException("the inferred chat template " + inferred + " is not installed"));
        }
        Optional<ChatTemplate> named = plugins.find(ChatTemplate.class, name);
        if (named.isPresent()) {
            return named.get();
        }
        Path file = Path.of(name);
        if (Files.isRegularFile(file)) {
            ConfigView json = name.endsWith(".json") ? JsonConfigView.read(file, false) : null;
            for (ChatTemplateSource source : sources) {
                Optional<ChatTemplate> t = source.fromFile(file, json, tokenizerConfig);
                if (t.isPresent()) {
                    LOG.log(System.Logger.Level.INFO, "Using the chat template file " + file + ".");
                    return t.get();
                }
            }
        }
        throw new IOException("Chat template " + name + " is not a built-in template name or a valid chat template file path.");
    }
}
