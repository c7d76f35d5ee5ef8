package dev.iris.http;

import dev.iris.api.chat.ChatTemplate;

import java.util.Optional;

/**
 * Finds a chat template by name when a request names one ({@code chat_template}). Asked per
 * request, because template plugins may be deployed or removed while the server runs.
 */
@FunctionalInterface
public interface TemplateLookup {

    Optional<ChatTemplate> find(String name);
}
