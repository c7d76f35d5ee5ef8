package com.example.iris.template;

import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ContentPart;
import dev.iris.api.chat.RenderedPrompt;

import java.util.ArrayList;
import java.util.List;

/**
 * ChatML with an {@code <image>} placeholder per image part:
 * <pre>
 * &lt;|im_start|&gt;user
 * &lt;image&gt;
 * What is this?&lt;|im_end|&gt;
 * &lt;|im_start|&gt;assistant
 * </pre>
 * Each image placeholder is followed by a newline, then the text parts in order.
 */
public final class PlainChatMlTemplate implements ChatTemplate {

    static final String IMAGE = "<image>";
    static final String END = "<|im_end|>";

    @Override
    public String name() {
        return "example-chatml";
    }

    @Override
    public String description() {
        return "ChatML with <image> placeholders (example plugin)";
    }

    @Override
    public RenderedPrompt render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder prompt = new StringBuilder();
        List<ContentPart.Image> images = new ArrayList<>();
        for (ChatMessage m : messages) {
            prompt.append("<|im_start|>").append(m.role()).append('\n');
            for (ContentPart part : m.content()) {
                switch (part) {
                    case ContentPart.Image image -> {
                        prompt.append(IMAGE).append('\n');
                        images.add(image);
                    }
                    case ContentPart.Text text -> prompt.append(text.text());
                }
            }
            prompt.append(END).append('\n');
        }
        if (addGenerationPrompt) {
            prompt.append("<|im_start|>assistant\n");
        }
        return new RenderedPrompt(prompt.toString(), images, List.of(END));
    }
}
