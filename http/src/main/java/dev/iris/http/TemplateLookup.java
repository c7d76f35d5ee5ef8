package dev.iris.http;

import dev.iris.api.chat.ChatTemplate;

import java.util.List;
import java.util.Optional;

/**
 * Finds a chat template by name when a request names one ({@code chat_template}). Asked per
 * request, because template plugins may be deployed or removed while the server runs.
 */
@FunctionalInterface
public interface TemplateLookup {

    Optional<ChatTemplate> find(String name);

    /** Names of the templates a request may name now, for listing (the playground's choice); empty when unknown. */
    default List<String> names() {
        return List.of();
    }

    /** Only this template (none when null). */
    static TemplateLookup only(ChatTemplate template) {
        return new TemplateLookup() {
            @Override
            public Optional<ChatTemplate> find(String name) {
                return Optional.ofNullable(template).filter(t -> t.name().equals(name));
            }

            @Override
            public List<String> names() {
                return template == null ? List.of() : List.of(template.name());
            }
        };
    }
}
