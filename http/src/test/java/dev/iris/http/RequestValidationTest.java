package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The validation gaps black-box runs found (#16), each closed: non-finite and out-of-range
 * numbers, token ids outside the vocabulary, {@code top_logprobs} without {@code logprobs},
 * malformed UTF-8, parser limits told in our words, overlong {@code model} names; and
 * {@code continuous_usage_stats} and raw token bytes in logprobs.
 */
class RequestValidationTest {

    private static TestServer s;

    @BeforeAll
    static void start() throws IOException {
        s = new TestServer();
    }

    @AfterAll
    static void stop() throws IOException {
        s.close();
    }

    private static String chat(String fields) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2" + fields + "}";
    }

    /** The 400's message, after checking its status and the field it names. */
    private static String refused(HttpResponse<String> r, String param) throws IOException {
        assertEquals(400, r.statusCode(), r.body());
        JsonNode b = TestServer.json(r);
        if (param != null) {
            assertEquals(param, b.get("param").asText(), r.body());
        }
        String message = (b.has("message") ? b : b.get("error")).get("message").asText(); // OpenAI's or SGLang's body
        for (String internal : List.of("StreamReadConstraints", "Jackson", "com.fasterxml", "Exception", "helidon")) {
            assertFalse(message.contains(internal), "a library's words in: " + message);
        }
        return message;
    }

    @Test
    void nonFiniteAndOutOfRangeNumbersAreRefusedNamingTheField() throws Exception {
        assertEquals("'temperature' must be a finite number.",
                refused(s.post("/v1/chat/completions", chat(",\"temperature\":1e999")), "temperature"));
        assertEquals("'top_p' must be a finite number.",
                refused(s.post("/v1/chat/completions", chat(",\"top_p\":-1e999")), "top_p"));
        refused(s.post("/v1/chat/completions", chat(",\"top_p\":1.5")), "top_p");
        refused(s.post("/v1/chat/completions", chat(",\"frequency_penalty\":3")), "frequency_penalty");
        refused(s.post("/v1/chat/completions", chat(",\"max_tokens\":1e20")), "max_tokens");
        refused(s.post("/v1/completions", "{\"prompt\":\"hi\",\"logprobs\":21}"), "logprobs");
        assertEquals("'temperature' must be a finite number.",
                refused(s.post("/generate", "{\"text\":\"hi\",\"sampling_params\":{\"temperature\":1e40}}"), null));
    }

    @Test
    void logitBiasMustNameTokensOfTheVocabulary() throws Exception {
        String message = refused(s.post("/v1/chat/completions", chat(",\"logit_bias\":{\"999999\":5}")), "logit_bias");
        assertTrue(message.startsWith("logit_bias names token 999999, outside the vocabulary of"), message);
        refused(s.post("/v1/chat/completions", chat(",\"logit_bias\":{\"-1\":5}")), "logit_bias");
        assertEquals(200, s.post("/v1/chat/completions", chat(",\"logit_bias\":{\"5\":1}")).statusCode());
    }

    @Test
    void topLogprobsNeedsLogprobs() throws Exception {
        assertEquals("top_logprobs requires logprobs to be true.",
                refused(s.post("/v1/chat/completions", chat(",\"top_logprobs\":2")), "top_logprobs"));
        refused(s.post("/v1/chat/completions", chat(",\"logprobs\":true,\"top_logprobs\":21")), "top_logprobs");
        assertEquals(200, s.post("/v1/chat/completions", chat(",\"logprobs\":true,\"top_logprobs\":2")).statusCode());
    }

    @Test
    void bodiesThatAreNotStrictUtf8AreRefused() throws Exception {
        byte[] head = "{\"messages\":[{\"role\":\"user\",\"content\":\"a".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\"}]}".getBytes(StandardCharsets.US_ASCII);
        for (byte[] bad : List.of(new byte[]{(byte) 0xc0, (byte) 0xaf}, new byte[]{(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                new byte[]{(byte) 0xff})) {
            byte[] body = new byte[head.length + bad.length + tail.length];
            System.arraycopy(head, 0, body, 0, head.length);
            System.arraycopy(bad, 0, body, head.length, bad.length);
            System.arraycopy(tail, 0, body, head.length + bad.length, tail.length);
            HttpResponse<String> r = s.client.send(HttpRequest.newBuilder(s.uri("/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("The request body is not valid UTF-8 (at byte " + head.length + ").", refused(r, null));
        }
    }

    @Test
    void malformedJsonIsToldInOurWords() throws Exception {
        String deep = "[".repeat(2000) + "]".repeat(2000);
        assertTrue(refused(s.post("/v1/chat/completions", "{\"messages\":" + deep + "}"), null)
                .startsWith("The request body cannot be read: it nests arrays and objects too deeply"));
        assertEquals("The request body is not valid JSON: it ends early (line 1, column 15).",
                refused(s.post("/v1/chat/completions", "{\"messages\": ["), null));
        assertTrue(refused(s.post("/v1/chat/completions", "{\"messages\": x}"), null)
                .startsWith("The request body is not valid JSON (line 1"));
    }

    @Test
    void aModelNameLongerThan256CharactersIsRefused() throws Exception {
        String name = "m".repeat(257);
        assertEquals("'model' must be at most 256 characters, got 257.",
                refused(s.post("/v1/chat/completions", chat(",\"model\":\"" + name + "\"")), "model"));
        refused(s.post("/v1/completions", "{\"prompt\":\"hi\",\"model\":\"" + name + "\"}"), "model");
        JsonNode ok = TestServer.json(s.post("/v1/chat/completions", chat(",\"model\":\"" + "m".repeat(256) + "\"")));
        assertEquals(256, ok.get("model").asText().length());
    }

    @Test
    void continuousUsageStatsPutTheUsageSoFarInEveryChunk() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5,\"ignore_eos\":true,"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true}}";
        HttpResponse<InputStream> r = s.client.send(HttpRequest.newBuilder(s.uri("/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        List<JsonNode> chunks = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.startsWith("data: {")) {
                    chunks.add(TestServer.JSON.readTree(line.substring(6)));
                }
            }
        }
        JsonNode last = chunks.getLast().get("usage");
        int prompt = last.get("prompt_tokens").asInt();
        assertEquals(5, last.get("completion_tokens").asInt());
        int before = 0;
        for (JsonNode c : chunks.subList(1, chunks.size())) {
            JsonNode u = c.get("usage");
            assertTrue(u.isObject(), "usage in every content chunk: " + c);
            assertEquals(prompt, u.get("prompt_tokens").asInt());
            assertTrue(u.get("completion_tokens").asInt() >= before, "counts grow");
            before = u.get("completion_tokens").asInt();
            assertEquals(prompt + before, u.get("total_tokens").asInt());
        }
    }

    /**
     * A byte-level token that is part of a character ({@code æ} stands for the byte 0xE6, the
     * first of a three-byte character): its text alone is U+FFFD, its bytes are the raw byte.
     */
    @Test
    void logprobBytesAreTheTokensOwnBytes() throws Exception {
        int id = s.loaded.tokenizer().tokenId("æ").orElseThrow();
        JsonNode r = TestServer.json(s.post("/v1/chat/completions", chat(",\"max_tokens\":1,\"temperature\":0,"
                + "\"logprobs\":true,\"logit_bias\":{\"" + id + "\":100}")));
        JsonNode entry = r.get("choices").get(0).get("logprobs").get("content").get(0);
        assertEquals("\uFFFD", entry.get("token").asText());
        assertArrayEquals(new int[]{0xe6}, new int[]{entry.get("bytes").get(0).asInt()});
        assertEquals(1, entry.get("bytes").size());
    }
}
