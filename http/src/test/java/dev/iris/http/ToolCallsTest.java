package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iris.api.sampling.SampledToken;
import dev.iris.api.sampling.Sampler;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.api.sampling.SamplingState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --tool-call-parser qwen25} through {@code /v1/chat/completions}: the model (made to write
 * a scripted answer by its sampler) calls a function; a request offering tools gets it back as
 * {@code tool_calls}, whole or streamed, and one without tools gets the text as it was written.
 */
class ToolCallsTest {

    private static final String ANSWER = "Checking.<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
            + "{\"city\": \"Paris\"}}\n</tool_call>";

    /** Writes {@link #ANSWER}'s tokens whatever the logits say, then an end-of-sequence token. */
    private static final class Scripted implements Sampler {
        volatile int[] script = new int[0];
        volatile int eos;

        @Override
        public SampledToken sample(float[] logits, SamplingParams params, SamplingState state) {
            int at = state.generatedTokens().length;
            return new SampledToken(at < script.length ? script[at] : eos, 0f, List.of());
        }

        @Override
        public String name() {
            return "scripted";
        }
    }

    private static TestServer s;

    @BeforeAll
    static void start() throws IOException {
        Scripted sampler = new Scripted();
        s = TestServer.withSampler(ServerOptions.DEFAULTS.withToolCallParser("qwen25"), sampler);
        sampler.script = s.loaded.tokenizer().encode(ANSWER, false);
        sampler.eos = s.loaded.eosTokenIds().iterator().next();
    }

    @AfterAll
    static void stop() throws IOException {
        s.close();
    }

    private static String chat(boolean tools, boolean stream) {
        return "{\"model\":\"m\",\"max_tokens\":200,\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Weather in Paris?\"}]" + (tools ? ",\"tools\":[{\"type\":\"function\",\"function\":"
                + "{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":"
                + "{\"type\":\"string\"}}}}}]" : "") + "}";
    }

    @Test
    void aCallInTheAnswerComesBackAsToolCalls() throws Exception {
        JsonNode choice = TestServer.json(s.post("/v1/chat/completions", chat(true, false))).get("choices").get(0);
        assertEquals("tool_calls", choice.get("finish_reason").asText());
        JsonNode message = choice.get("message");
        assertTrue(message.get("content").isNull(), message.toString());
        JsonNode call = message.get("tool_calls").get(0);
        assertTrue(call.get("id").asText().matches("call_[0-9a-f]{24}"), call.toString());
        assertEquals("function", call.get("type").asText());
        assertEquals("get_weather", call.get("function").get("name").asText());
        assertEquals("Paris", TestServer.JSON.readTree(call.get("function").get("arguments").asText()).get("city").asText());
    }

    @Test
    void aStreamSendsTheTextBeforeTheCallThenTheCall() throws Exception {
        String body = s.post("/v1/chat/completions", chat(true, true)).body();
        StringBuilder content = new StringBuilder();
        List<JsonNode> calls = new ArrayList<>();
        String finish = null;
        for (String frame : body.split("\n\n")) {
            if (frame.equals("data: [DONE]")) {
                continue;
            }
            JsonNode c = TestServer.JSON.readTree(frame.substring(6)).get("choices").get(0);
            JsonNode delta = c.get("delta");
            if (delta.path("content").isTextual()) {
                content.append(delta.get("content").asText());
            }
            if (delta.path("tool_calls").isArray()) {
                delta.get("tool_calls").forEach(calls::add);
            }
            if (c.path("finish_reason").isTextual()) {
                finish = c.get("finish_reason").asText();
            }
        }
        assertEquals("Checking.", content.toString());
        assertEquals(1, calls.size());
        assertEquals(0, calls.getFirst().get("index").asInt());
        assertEquals("get_weather", calls.getFirst().get("function").get("name").asText());
        assertEquals("tool_calls", finish);
    }

    @Test
    void withoutToolsInTheRequestTheAnswerIsPlainContent() throws Exception {
        JsonNode choice = TestServer.json(s.post("/v1/chat/completions", chat(false, false))).get("choices").get(0);
        assertEquals("stop", choice.get("finish_reason").asText());
        assertEquals(ANSWER, choice.get("message").get("content").asText());
        assertTrue(choice.get("message").get("tool_calls").isNull());
    }
}
