package dev.iris.templates;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ContentPart;
import dev.iris.api.chat.RenderedPrompt;
import dev.iris.runtime.config.JsonConfigView;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Each fixture model's own chat template, found by {@link TemplateFiles} in its directory
 * (testdata/models/NAME), renders the golden OpenAI conversation (testdata/golden/NAME/CASE.json)
 * as transformers' {@code apply_chat_template} did, and lists the images in order. The Mllama
 * template prints today's date where the golden was made with "26 Jul 2024".
 */
class ModelChatTemplatesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @CsvSource({
            "tiny-qwen2-vl, text_only", "tiny-qwen2-vl, one_image", "tiny-qwen2-vl, two_images",
            "tiny-mllama, text_only", "tiny-mllama, one_image", "tiny-mllama, two_images",
            "tiny-llava-1.5, text_only", "tiny-llava-1.5, one_image", "tiny-llava-1.5, two_images",
            "tiny-llava-next, text_only", "tiny-llava-next, one_image", "tiny-llava-next, two_images",
            "tiny-llava-onevision, text_only", "tiny-llava-onevision, one_image", "tiny-llava-onevision, two_images"})
    void theCheckpointsTemplateRendersTheGoldenConversation(String model, String name) throws IOException {
        JsonNode golden = golden(model, name);
        List<ChatMessage> messages = messages(golden);
        long images = messages.stream().flatMap(m -> m.content().stream()).filter(ContentPart.Image.class::isInstance).count();
        ChatTemplate template = ownTemplate(model);
        RenderedPrompt rendered = template.render(messages, golden.get("add_generation_prompt").asBoolean());
        String today = LocalDate.now().format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ROOT));
        assertEquals(golden.get("rendered_prompt").asText().replace("26 Jul 2024", today), rendered.text());
        assertEquals(images, rendered.images().size());
    }

    /** A request's {@code chat_template_kwargs} reach the template: the golden's date instead of today's. */
    @ParameterizedTest
    @CsvSource({"tiny-mllama, text_only", "tiny-mllama, one_image"})
    void requestVariablesReachTheTemplate(String model, String name) throws IOException {
        JsonNode golden = golden(model, name);
        RenderedPrompt rendered = ownTemplate(model).render(messages(golden),
                golden.get("add_generation_prompt").asBoolean(), Map.of("date_string", "26 Jul 2024"));
        assertEquals(golden.get("rendered_prompt").asText(), rendered.text());
    }

    private static ChatTemplate ownTemplate(String model) throws IOException {
        Path dir = Path.of("../testdata/models").resolve(model);
        return new TemplateFiles().fromModel(model, JsonConfigView.read(dir.resolve("tokenizer_config.json"), true),
                JsonConfigView.read(dir.resolve("chat_template.json"), true)).orElseThrow();
    }

    private static JsonNode golden(String model, String name) throws IOException {
        return JSON.readTree(Path.of("../testdata/golden").resolve(model).resolve(name + ".json").toFile());
    }

    private static List<ChatMessage> messages(JsonNode golden) {
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : golden.get("messages_openai")) {
            List<ContentPart> parts = new ArrayList<>();
            for (JsonNode p : m.get("content")) {
                parts.add(p.get("type").asText().equals("text") ? new ContentPart.Text(p.get("text").asText())
                        : new ContentPart.Image(p.get("image_url").get("url").asText(), null, null));
            }
            messages.add(new ChatMessage(m.get("role").asText(), parts));
        }
        return messages;
    }
}
