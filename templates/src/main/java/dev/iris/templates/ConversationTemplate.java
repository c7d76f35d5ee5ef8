package dev.iris.templates;

import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ContentPart;
import dev.iris.api.chat.RenderedPrompt;

import java.util.ArrayList;
import java.util.List;

/**
 * A conversation template as SGLang defines them: a separator style and its parameters, rendered
 * by one algorithm (contract §7.1) — the last system message wins and goes first; user parts are
 * concatenated with one image placeholder per image; a generation slot ends the prompt. Each
 * built-in template is this with its parameters (§7.2).
 */
abstract class ConversationTemplate implements ChatTemplate {

    /** SGLang writes a newline before each text part of a message with more images than this (videos). */
    private static final int VIDEO_FRAMES = 16;

    /**
     * @param name             the {@code --chat-template} name
     * @param style            how turns are joined
     * @param userTag          the user role's tag
     * @param assistantTag     the assistant role's tag
     * @param defaultSystem    the system message when the request has none
     * @param systemWrapper    the system part, {@code {system}} standing for the message
     * @param imageToken       one image's placeholder
     * @param imageNewline     whether a lone image's placeholder is followed by a newline
     * @param stopStrings      stop strings the template implies
     * @param sep              the style's separator
     * @param sep2             the second separator (ADD_COLON_TWO), or ""
     */
    record Params(String name, SeparatorStyle style, String userTag, String assistantTag, String defaultSystem,
                  String systemWrapper, String imageToken, boolean imageNewline, List<String> stopStrings, String sep,
                  String sep2) {
    }

    private final Params params;

    ConversationTemplate(Params params) {
        this.params = params;
    }

    @Override
    public String name() {
        return params.name();
    }

    @Override
    public String description() {
        return "chat template " + params.name() + " (SGLang " + params.style().name() + ")";
    }

    @Override
    public RenderedPrompt render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        String system = params.defaultSystem();
        List<SeparatorStyle.Turn> turns = new ArrayList<>();
        List<ContentPart.Image> images = new ArrayList<>();
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case "system", "developer" -> system = m.joinedText();
                case "user" -> turns.add(new SeparatorStyle.Turn(params.userTag(), userText(m, images)));
                case "assistant" -> turns.add(new SeparatorStyle.Turn(params.assistantTag(), m.joinedText()));
                default -> throw new IllegalArgumentException("Unknown role: " + m.role());
            }
        }
        if (addGenerationPrompt) {
            turns.add(new SeparatorStyle.Turn(params.assistantTag(), ""));
        }
        return new RenderedPrompt(params.style().serialise(params, system, turns), images, params.stopStrings());
    }

    /** A user message's parts in order: texts, and a placeholder per image (the image joins {@code images}). */
    private String userText(ChatMessage m, List<ContentPart.Image> images) {
        int k = m.images().size();
        String placeholder = k <= 1 && params.imageNewline() ? params.imageToken() + "\n" : params.imageToken();
        StringBuilder b = new StringBuilder();
        for (ContentPart part : m.content()) {
            switch (part) {
                case ContentPart.Text t -> b.append(k > VIDEO_FRAMES ? "\n" : "").append(t.text());
                case ContentPart.Image image -> {
                    b.append(placeholder);
                    images.add(image);
                }
            }
        }
        return b.toString();
    }
}
