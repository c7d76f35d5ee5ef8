package com.example.iris.template;

import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ContentPart;
import dev.iris.api.chat.RenderedPrompt;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PlainChatMlTemplateTest {

    @Test
    void rendersImagesAsPlaceholdersBeforeTheTextInPartOrder() {
        ContentPart.Image cat = new ContentPart.Image("https://example.com/cat.png", null, null);
        RenderedPrompt p = new PlainChatMlTemplate().render(List.of(
                ChatMessage.text("system", "Be brief."),
                new ChatMessage("user", List.of(cat, new ContentPart.Text("What is this?")))), true);

        assertEquals("""
                <|im_start|>system
                Be brief.<|im_end|>
                <|im_start|>user
                <image>
                What is this?<|im_end|>
                <|im_start|>assistant
                """, p.text());
        assertEquals(List.of(cat), p.images());
        assertEquals(List.of("<|im_end|>"), p.stopStrings());
    }
}
