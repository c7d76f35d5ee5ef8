package dev.iris.templates;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ContentPart;
import dev.iris.api.chat.RenderedPrompt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The five built-in templates render the contract's examples byte for byte
 * (testdata/templates/renderings.json, transcribed from spec §7.3).
 */
class TemplateRenderingsTest {

    private static final Map<String, ChatTemplate> TEMPLATES = Stream.of(new Llama3VisionTemplate(),
            new LlavaLlama3Template(), new Qwen2VlTemplate(), new ChatmlLlavaTemplate(), new VicunaTemplate())
            .collect(Collectors.toMap(ChatTemplate::name, t -> t));

    static Stream<Arguments> renderings() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(Path.of("../testdata/templates/renderings.json").toFile()).get("cases");
        return StreamSupport.stream(cases.spliterator(), false).map(c -> Arguments.of(c.get("template").asText(),
                c.get("case").asText(), c.get("messages"), c.get("expected").asText()));
    }

    /** OpenAI messages as the HTTP layer hands them over: a string content is one text part. */
    static List<ChatMessage> messages(JsonNode json) {
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : json) {
            JsonNode content = m.get("content");
            List<ContentPart> parts = new ArrayList<>();
            if (content.isTextual()) {
                parts.add(new ContentPart.Text(content.asText()));
            } else {
                for (JsonNode p : content) {
                    parts.add(p.get("type").asText().equals("text") ? new ContentPart.Text(p.get("text").asText())
                            : new ContentPart.Image(p.get("image_url").get("url").asText(), null, null));
                }
            }
            out.add(new ChatMessage(m.get("role").asText(), parts));
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("renderings")
    void rendersTheContractsExample(String template, String name, JsonNode messages, String expected) {
        assertEquals(expected, TEMPLATES.get(template).render(messages(messages), true).text());
    }

    @Test
    void imagesAreCollectedInMessageThenPartOrderWithTheTemplatesStops() throws IOException {
        List<ChatMessage> conversation = List.of(
                new ChatMessage("user", List.of(new ContentPart.Image("a.png", null, null), new ContentPart.Text("x"))),
                ChatMessage.text("assistant", "ok"),
                new ChatMessage("user", List.of(new ContentPart.Image("b.png", null, null),
                        new ContentPart.Image("c.png", null, null))));
        RenderedPrompt p = TEMPLATES.get("chatml-llava").render(conversation, true);
        assertEquals(List.of("a.png", "b.png", "c.png"), p.images().stream().map(ContentPart.Image::url).toList());
        assertEquals(List.of("<|endoftext|>", "<|im_end|>"), p.stopStrings());
        assertEquals(List.of(), TEMPLATES.get("vicuna_v1.1").render(conversation, true).stopStrings());
    }

    @Test
    void aRoleTheTemplatesDoNotKnowIsRefusedWithSglangsMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TEMPLATES.get("qwen2-vl").render(List.of(ChatMessage.text("tool", "42")), true));
        assertEquals("Unknown role: tool", e.getMessage());
    }

    @Test
    void theModuleAndItsServiceFileProvideAllFiveTemplates() throws IOException {
        List<String> declared = TemplateRenderingsTest.class.getModule().getDescriptor().provides().stream()
                .filter(p -> p.service().equals(ChatTemplate.class.getName()))
                .flatMap(p -> p.providers().stream()).sorted().toList();
        try (var in = TemplateRenderingsTest.class.getResourceAsStream("/META-INF/services/" + ChatTemplate.class.getName())) {
            List<String> listed = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank()).sorted().toList();
            assertEquals(declared, listed); // class-path hosts read the file, module-path hosts the descriptor
        }
        List<String> names = new ArrayList<>();
        for (String provider : declared) {
            try {
                names.add(((ChatTemplate) Class.forName(provider).getConstructor().newInstance()).name());
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(provider, e);
            }
        }
        assertEquals(List.of("chatml-llava", "llama_3_vision", "llava_llama_3", "qwen2-vl", "vicuna_v1.1"),
                names.stream().sorted().toList());
    }
}
