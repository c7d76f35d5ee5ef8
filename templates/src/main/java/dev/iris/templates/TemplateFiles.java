package dev.iris.templates;

import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ChatTemplateSource;
import dev.iris.api.config.ConfigException;
import dev.iris.api.config.ConfigView;
import dev.iris.templates.jinja.TemplateException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Chat templates from files: a checkpoint's own Jinja template ({@code chat_template.json}, else
 * {@code chat_template} in {@code tokenizer_config.json}, the {@code default} one when it is a
 * list of named templates); for {@code --chat-template}, a {@code .jinja} file (literal
 * {@code \n} sequences in it become newlines, as SGLang reads them) or SGLang's JSON conversation
 * definition ({@code name}, {@code system}, {@code system_message}, {@code user},
 * {@code assistant}, {@code sep_style}, {@code sep}, {@code stop_str}; contract §7.7).
 */
public final class TemplateFiles implements ChatTemplateSource {

    @Override
    public String name() {
        return "files";
    }

    @Override
    public String description() {
        return "the checkpoint's Jinja chat template, .jinja files";
    }

    @Override
    public Optional<ChatTemplate> fromModel(String modelName, ConfigView tokenizerConfig, ConfigView chatTemplateJson)
            throws IOException {
        Optional<String> own = template(chatTemplateJson);
        String from = own.isPresent() ? "chat_template.json" : "tokenizer_config.json";
        Optional<String> source = own.or(() -> template(tokenizerConfig));
        if (source.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(compile(modelName + "/" + from, source.get(), specialTokens(tokenizerConfig)));
    }

    @Override
    public Optional<ChatTemplate> fromFile(Path file, ConfigView json, ConfigView tokenizerConfig) throws IOException {
        if (json != null) {
            return Optional.of(conversation(file, json));
        }
        if (!file.getFileName().toString().endsWith(".jinja")) {
            return Optional.empty();
        }
        String source = Files.readString(file).replace("\\n", "\n");
        return Optional.of(compile(file.getFileName().toString(), source, specialTokens(tokenizerConfig)));
    }

    /**
     * SGLang's {@code register_conv_template_from_json}: the system part is {@code system + "\n" +}
     * the system message, images are {@code <image>} (with a newline when alone), separators by style.
     */
    private static ChatTemplate conversation(Path file, ConfigView json) throws IOException {
        try {
            String style = json.requireString("sep_style");
            SeparatorStyle separators;
            try {
                separators = SeparatorStyle.valueOf(style);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": sep_style " + style + " is not one Iris renders (" + java.util.Arrays
                        .toString(SeparatorStyle.values()) + ")");
            }
            List<String> stops = stringOrEmpty(json, "stop_str").map(List::of)
                    .orElseGet(() -> json.strings("stop_str").orElse(List.of()));
            return new ConversationTemplate(new ConversationTemplate.Params(json.requireString("name"), separators,
                    json.requireString("user"), json.requireString("assistant"), json.string("system_message").orElse(""),
                    json.requireString("system") + "\n{system}", "<image>", true, stops, json.string("sep").orElse("\n"),
                    "")) {
            };
        } catch (ConfigException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static ChatTemplate compile(String name, String source, Map<String, Object> variables) throws IOException {
        try {
            return new JinjaChatTemplate(name, source, variables);
        } catch (TemplateException e) {
            throw new IOException("chat template " + name + ": " + e.getMessage(), e);
        }
    }

    /** {@code chat_template} as a string, or the {@code default} of a list of named templates. */
    private static Optional<String> template(ConfigView config) {
        Optional<String> text = stringOrEmpty(config, "chat_template");
        if (text.isPresent()) {
            return text;
        }
        List<ConfigView> named = config.objects("chat_template").orElse(List.of());
        return named.stream().filter(n -> n.string("name").orElse("").equals("default")).findFirst()
                .or(() -> named.stream().findFirst()).flatMap(n -> n.string("template"));
    }

    /** The key's value when it is a string; empty when absent or of another type (then read otherwise). */
    private static Optional<String> stringOrEmpty(ConfigView config, String key) {
        try {
            return config.string(key);
        } catch (ConfigException e) {
            return Optional.empty();
        }
    }

    /** {@code bos_token}, {@code eos_token} and friends (strings or added-token objects with a {@code content}). */
    private static Map<String, Object> specialTokens(ConfigView config) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String key : List.of("bos_token", "eos_token", "pad_token", "unk_token")) {
            stringOrEmpty(config, key).or(() -> config.object(key).flatMap(o -> o.string("content")))
                    .ifPresent(v -> out.put(key, v));
        }
        return out;
    }
}
