package dev.iris.templates.jinja;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The models' own chat templates (testdata/models/NAME: chat_template.json or tokenizer_config.json)
 * rendered with each golden's HF messages and kwargs give transformers' {@code apply_chat_template}
 * output byte for byte (the goldens' {@code rendered_prompt}, testdata/golden/NAME/CASE.json).
 */
class JinjaTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @CsvSource({
            "tiny-qwen2-vl, text_only", "tiny-qwen2-vl, one_image", "tiny-qwen2-vl, two_images",
            "tiny-mllama, text_only", "tiny-mllama, one_image", "tiny-mllama, two_images",
            "tiny-llava-1.5, text_only", "tiny-llava-1.5, one_image", "tiny-llava-1.5, two_images",
            "tiny-llava-next, text_only", "tiny-llava-next, one_image", "tiny-llava-next, two_images",
            "tiny-llava-onevision, text_only", "tiny-llava-onevision, one_image", "tiny-llava-onevision, two_images"})
    void theModelsTemplateRendersTheGoldenConversationAsTransformers(String model, String name) throws IOException {
        Path dir = Path.of("../testdata/models").resolve(model);
        JsonNode golden = JSON.readTree(Path.of("../testdata/golden").resolve(model).resolve(name + ".json").toFile());
        JsonNode tokenizerConfig = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        String source = Files.exists(dir.resolve("chat_template.json"))
                ? JSON.readTree(dir.resolve("chat_template.json").toFile()).get("chat_template").asText()
                : tokenizerConfig.get("chat_template").asText();
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", value(golden.get("messages_hf")));
        vars.put("add_generation_prompt", golden.get("add_generation_prompt").asBoolean());
        for (String special : List.of("bos_token", "eos_token")) {
            JsonNode t = tokenizerConfig.get(special);
            if (t != null && !t.isNull()) {
                vars.put(special, t.isTextual() ? t.asText() : t.get("content").asText());
            }
        }
        golden.path("chat_template_kwargs").properties().forEach(e -> vars.put(e.getKey(), value(e.getValue())));
        assertEquals(golden.get("rendered_prompt").asText(), JinjaTemplate.compile(source).render(vars));
    }

    /** The expected strings below are Python jinja2 3.1's output with Hugging Face's settings. */
    @Test
    void pythonValuesFiltersAndControlFlowBehaveAsInJinja2() {
        String t = "{% set ns = namespace(n=0) %}{% for x in items if x is not none %}{% if loop.first %}[{% endif %}"
                + "{{ x|upper }}{{ ', ' if not loop.last }}{% set ns.n = ns.n + 1 %}{% endfor %}] {{ ns.n }} "
                + "{{ items|length }} {{ 'a b'.split() }} {{ {'k': true}|tojson }} {{ none }} {{ 7 // 2 }} {{ 'x' ~ 1 }}"
                + "{% for a in [1, 2, 3] %}{% if a == 2 %}{% break %}{% endif %}{{ a }}{% endfor %}";
        Map<String, Object> vars = new LinkedHashMap<>();
        List<Object> items = new ArrayList<>(List.of("a", "b"));
        items.add(null);
        vars.put("items", items);
        assertEquals("[A, B] 2 3 ['a', 'b'] {\"k\": true} None 3 x11", JinjaTemplate.compile(t).render(vars));
        assertEquals("boom", assertThrows(TemplateException.class,
                () -> JinjaTemplate.compile("{{ raise_exception('boom') }}").render(Map.of())).getMessage());
    }

    @Test
    void trimAndLstripBlocksAndDashesHandleWhitespaceLikeHuggingFace() {
        String t = "a\n    {% if true %}\n    b\n    {%- endif %}\n{# c #}\nd {{- ' e' }}";
        assertEquals("a\n    bd e", JinjaTemplate.compile(t).render(Map.of()));
    }

    /** JSON as the template's values: integers as longs, objects as ordered maps. */
    static Object value(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        if (n.isIntegralNumber()) {
            return n.asLong();
        }
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isArray()) {
            List<Object> out = new ArrayList<>();
            n.forEach(x -> out.add(value(x)));
            return out;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        n.properties().forEach(e -> out.put(e.getKey(), value(e.getValue())));
        return out;
    }
}
