package dev.iris.api.chat;

import dev.iris.api.IrisPlugin;

import java.util.List;
import java.util.Map;

/**
 * Renders OpenAI-style messages into a model's prompt format, byte for byte as the reference
 * (SGLang's conversation template of the same name, or the checkpoint's Jinja template).
 * Selected by {@link #name()} ({@code --chat-template}), e.g. {@code llama_3_vision},
 * {@code qwen2-vl}, {@code chatml-llava}.
 */
public interface ChatTemplate extends IrisPlugin {

    /**
     * Renders a conversation.
     *
     * @param messages            the conversation, oldest first
     * @param addGenerationPrompt whether to end with the assistant turn's opening so the model
     *                            writes the reply
     * @throws IllegalArgumentException with a message fit for the client when the conversation
     *                                  cannot be expressed (e.g. an unsupported role)
     */
    RenderedPrompt render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /**
     * Renders a conversation with extra template variables (a request's {@code chat_template_kwargs},
     * e.g. {@code date_string}). Only Jinja templates read variables; a named conversation template
     * has none and renders as without them.
     *
     * @param variables names and JSON-like values (strings, numbers, booleans, lists, maps, null)
     */
    default RenderedPrompt render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> variables) {
        return render(messages, addGenerationPrompt);
    }
}
