package dev.iris.templates;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ContentPart;
import dev.iris.runtime.config.JsonConfigView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Template files for {@code --chat-template} (contract §7.7). */
class TemplateFilesTest {

    /**
     * An SGLang JSON definition with chatml-llava's parameters renders every chatml-llava example
     * of the contract (testdata/templates/renderings.json) as the built-in template does.
     */
    @Test
    void aJsonConversationDefinitionRendersLikeTheBuiltInTemplateItDescribes(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("my-chatml.json");
        Files.writeString(file, """
                {"name": "my-chatml", "system": "<|im_start|>system", "system_message": "You are a helpful assistant.",
                 "user": "<|im_start|>user", "assistant": "<|im_start|>assistant", "sep_style": "CHATML",
                 "sep": "<|im_end|>", "stop_str": ["<|endoftext|>", "<|im_end|>"]}
                """);
        ChatTemplate custom = new TemplateFiles().fromFile(file, JsonConfigView.read(file, false),
                JsonConfigView.parse("none", "{}")).orElseThrow();
        assertEquals("my-chatml", custom.name());
        ChatTemplate builtIn = new ChatmlLlavaTemplate();
        JsonNode cases = new ObjectMapper().readTree(Path.of("../testdata/templates/renderings.json").toFile()).get("cases");
        int compared = 0;
        for (JsonNode c : cases) {
            if (c.get("template").asText().equals("chatml-llava")) {
                List<ChatMessage> messages = TemplateRenderingsTest.messages(c.get("messages"));
                assertEquals(c.get("expected").asText(), custom.render(messages, true).text(), c.get("case").asText());
                assertEquals(builtIn.render(messages, true).stopStrings(), custom.render(messages, true).stopStrings());
                compared++;
            }
        }
        assertTrue(compared > 0);
    }

    /** A {@code .jinja} file: literal {@code \n} sequences are newlines, as SGLang reads such files. */
    @Test
    void aJinjaFileIsRenderedWithItsEscapedNewlines(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("t.jinja");
        Files.writeString(file, "{% for m in messages %}[{{ m['role'] }}]\\n{{ m['content'] }}\\n{% endfor %}");
        ChatTemplate t = new TemplateFiles().fromFile(file, null, JsonConfigView.parse("none", "{}")).orElseThrow();
        assertEquals("[user]\nhi\n", t.render(List.of(ChatMessage.text("user", "hi")), false).text());
    }

    /**
     * A text-only Jinja template (it reads {@code content} as one string) never drops an image
     * silently: the request is refused with a message naming {@code --chat-template}.
     */
    @Test
    void aTextOnlyTemplateRefusesImagesNamingTheFlag(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("text.jinja");
        Files.writeString(file, "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\\n{% endfor %}");
        ChatTemplate t = new TemplateFiles().fromFile(file, null, JsonConfigView.parse("none", "{}")).orElseThrow();
        ChatMessage withImage = new ChatMessage("user", List.of(new ContentPart.Image("data:image/png;base64,AA", null, null),
                new ContentPart.Text("What is it?")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.render(List.of(withImage), true));
        assertTrue(e.getMessage().contains("--chat-template"), e.getMessage());
        assertEquals("user: hi\n", t.render(List.of(ChatMessage.text("user", "hi")), false).text());
    }
}
