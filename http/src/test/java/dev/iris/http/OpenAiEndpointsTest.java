package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /v1/chat/completions}, {@code /v1/completions} and {@code /v1/models} against the contract. */
class OpenAiEndpointsTest {

    private static TestServer s;

    @BeforeAll
    static void start() throws IOException {
        s = new TestServer();
    }

    @AfterAll
    static void stop() throws IOException {
        s.close();
    }

    private String chat(String extra) {
        return "{\"model\":\"anything\",\"messages\":" + s.goldenMessages() + ",\"temperature\":0,\"max_tokens\":8,"
                + "\"ignore_eos\":true" + extra + "}";
    }

    private String goldenText() {
        return s.loaded.tokenizer().decode(s.goldenTokens(), true);
    }

    @Test
    void aGreedyChatCompletionGivesTheReferenceTokensWithUsageAndEchoesTheModelName() throws Exception {
        HttpResponse<String> r = s.post("/v1/chat/completions", chat(""));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode body = TestServer.json(r);
        assertEquals(32, body.get("id").asText().length());
        assertEquals("chat.completion", body.get("object").asText());
        assertEquals("anything", body.get("model").asText());
        JsonNode choice = body.get("choices").get(0);
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertEquals(goldenText(), choice.get("message").get("content").asText());
        assertEquals("length", choice.get("finish_reason").asText());
        assertTrue(choice.get("matched_stop").isNull());
        assertEquals(71, body.get("usage").get("prompt_tokens").asInt());
        assertEquals(8, body.get("usage").get("completion_tokens").asInt());
        assertEquals(79, body.get("usage").get("total_tokens").asInt());
    }

    @Test
    void aStreamedChatSendsRoleChunksThenTheSameTextThenOneFinishUsageAndDone() throws Exception {
        HttpResponse<String> r = s.post("/v1/chat/completions",
                chat(",\"n\":2,\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> events = new ArrayList<>();
        String[] frames = r.body().split("\n\n", -1);
        assertEquals("data: [DONE]", frames[frames.length - 2]);
        assertEquals("", frames[frames.length - 1]);
        for (int i = 0; i < frames.length - 2; i++) {
            assertTrue(frames[i].startsWith("data: {"), frames[i]);
            events.add(TestServer.JSON.readTree(frames[i].substring(6)));
        }
        // Role chunks for choices 0 and 1 first, in order.
        assertEquals(0, events.get(0).get("choices").get(0).get("index").asInt());
        assertEquals("assistant", events.get(0).get("choices").get(0).get("delta").get("role").asText());
        assertEquals(1, events.get(1).get("choices").get(0).get("index").asInt());
        StringBuilder[] text = {new StringBuilder(), new StringBuilder()};
        int[] finishes = new int[2];
        String id = events.get(0).get("id").asText();
        long created = events.get(0).get("created").asLong();
        for (JsonNode e : events.subList(0, events.size() - 1)) {
            assertEquals(id, e.get("id").asText());
            assertEquals(created, e.get("created").asLong());
            JsonNode c = e.get("choices").get(0);
            text[c.get("index").asInt()].append(c.get("delta").get("content").asText());
            if (!c.get("finish_reason").isNull()) {
                finishes[c.get("index").asInt()]++;
            }
        }
        assertEquals(goldenText(), text[0].toString());
        assertEquals(goldenText(), text[1].toString()); // greedy: every choice alike
        assertArrayEquals(new int[]{1, 1}, finishes);
        JsonNode usage = events.getLast();
        assertEquals(0, usage.get("choices").size());
        assertEquals(71, usage.get("usage").get("prompt_tokens").asInt()); // counted once
        assertEquals(16, usage.get("usage").get("completion_tokens").asInt());
    }

    /** {@code logit_bias}: -100 bans the reference's first token, +100 on one token makes it every token. */
    @Test
    void logitBiasBansOrForcesTokens() throws Exception {
        int first = s.goldenTokens()[0];
        JsonNode banned = TestServer.json(s.post("/v1/chat/completions", chat(",\"logprobs\":true,\"logit_bias\":{\""
                + first + "\":-100}")));
        JsonNode firstToken = banned.get("choices").get(0).get("logprobs").get("content").get(0);
        String bannedText = s.loaded.tokenizer().decode(new int[]{first}, false);
        assertTrue(!firstToken.get("token").asText().equals(bannedText), firstToken.toString());
        JsonNode forced = TestServer.json(s.post("/generate", "{\"input_ids\":" + s.golden.get("input_ids")
                + ",\"sampling_params\":{\"temperature\":0,\"max_new_tokens\":4,\"ignore_eos\":true,"
                + "\"logit_bias\":{\"42\":100}}}"));
        assertEquals("[42,42,42,42]", forced.get("output_ids").toString());
        assertEquals(400, s.post("/v1/chat/completions", chat(",\"logit_bias\":{\"42\":101}")).statusCode());
    }

    @Test
    void logprobsCoverEveryGeneratedTokenWithTheAskedAlternatives() throws Exception {
        JsonNode body = TestServer.json(s.post("/v1/chat/completions", chat(",\"logprobs\":true,\"top_logprobs\":3")));
        JsonNode content = body.get("choices").get(0).get("logprobs").get("content");
        assertEquals(8, content.size());
        for (JsonNode t : content) {
            assertTrue(t.get("logprob").asDouble() <= 0);
            assertEquals(3, t.get("top_logprobs").size());
            assertEquals(t.get("token").asText(), t.get("top_logprobs").get(0).get("token").asText()); // greedy: the best
        }
    }

    @Test
    void aStopStringCutsTheTextAndIsReportedAsMatched() throws Exception {
        String full = goldenText();
        String stop = full.substring(3, 5);
        JsonNode body = TestServer.json(s.post("/v1/chat/completions", chat(",\"stop\":[\"" + stop + "\"]")));
        JsonNode choice = body.get("choices").get(0);
        assertEquals(full.substring(0, full.indexOf(stop)), choice.get("message").get("content").asText());
        assertEquals("stop", choice.get("finish_reason").asText());
        assertEquals(stop, choice.get("matched_stop").asText());
    }

    @Test
    void completionsTakeTheRenderedPromptAndGiveTheSameTokensAsChat() throws Exception {
        String prompt = TestServer.JSON.writeValueAsString(s.golden.get("rendered_prompt").asText());
        JsonNode body = TestServer.json(s.post("/v1/completions", "{\"model\":\"m\",\"prompt\":" + prompt
                + ",\"temperature\":0,\"max_tokens\":8,\"ignore_eos\":true,\"echo\":false}"));
        assertEquals("text_completion", body.get("object").asText());
        assertEquals(goldenText(), body.get("choices").get(0).get("text").asText());
        assertEquals(71, body.get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void skipSpecialTokensFalseKeepsTheSpecialTokensInTheText() throws Exception {
        String kept = TestServer.json(s.post("/v1/chat/completions", chat(",\"skip_special_tokens\":false")))
                .get("choices").get(0).get("message").get("content").asText();
        assertEquals(s.loaded.tokenizer().decode(s.goldenTokens(), false), kept);
        assertTrue(kept.contains("<|box_start|>")); // the reference output starts with special token 305
        assertTrue(!goldenText().contains("<|box_start|>"));
    }

    @Test
    void completionsDefaultToSixteenNewTokens() throws Exception {
        JsonNode body = TestServer.json(s.post("/v1/completions", "{\"prompt\":[1,2,3,4],\"ignore_eos\":true}"));
        assertEquals(16, body.get("usage").get("completion_tokens").asInt());
        assertEquals("length", body.get("choices").get(0).get("finish_reason").asText());
    }

    @Test
    void modelsListsTheServedNameWithItsContextLength() throws Exception {
        JsonNode body = TestServer.json(s.get("/v1/models", "Authorization", "Bearer None"));
        assertEquals("list", body.get("object").asText());
        assertEquals("tiny-qwen2-vl", body.get("data").get(0).get("id").asText());
        assertEquals(32768, body.get("data").get(0).get("max_model_len").asInt());
    }

    @Test
    void maxTokensZeroAnswersEmptyWithLength() throws Exception {
        JsonNode body = TestServer.json(s.post("/v1/chat/completions", "{\"messages\":" + s.goldenMessages()
                + ",\"max_tokens\":0}"));
        assertEquals("", body.get("choices").get(0).get("message").get("content").asText());
        assertEquals("length", body.get("choices").get(0).get("finish_reason").asText());
        assertEquals(0, body.get("usage").get("completion_tokens").asInt());
    }
}
