package dev.iris.http;

import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ContentPart;
import dev.iris.api.chat.RenderedPrompt;

import java.util.ArrayList;
import java.util.List;

/**
 * A ChatML template for the tests (Qwen2's turn format, default system message), until the
 * real templates land with the model families; it renders golden/tiny-qwen2-vl/text_only.json's
 * conversation to that file's {@code rendered_prompt}.
 */
final class TestChatMl implements ChatTemplate {

    @Override
    public String name() {
        return "test-chatml";
    }

    @Override
    public RenderedPrompt render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        String system = "You are a helpful assistant.";
        List<ChatMessage> turns = new ArrayList<>();
        for (ChatMessage m : messages) {
            if (m.role().equals("system")) {
                system = m.joinedText();
            } else {
                turns.add(m);
            }
        }
        StringBuilder b = new StringBuilder("<|im_start|>system\n").append(system).append("<|im_end|>\n");
        List<ContentPart.Image> images = new ArrayList<>();
        for (ChatMessage m : turns) {
            b.append("<|im_start|>").append(m.role()).append('\n').append(m.joinedText()).append("<|im_end|>\n");
            images.addAll(m.images());
        }
        if (addGenerationPrompt) {
            b.append("<|im_start|>assistant\n");
        }
        return new RenderedPrompt(b.toString(), images, List.of("<|im_end|>"));
    }
}
