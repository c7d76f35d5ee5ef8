package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad requests get a 4xx with the contract's body, type, param and message (§1.5, §10), before any stream byte. */
class ErrorResponsesTest {

    private static TestServer s;

    @BeforeAll
    static void start() throws IOException {
        s = new TestServer();
    }

    @AfterAll
    static void stop() throws IOException {
        s.close();
    }

    /** Asserts a 400 with both the flat and the nested OpenAI error, and returns the message. */
    private static String badRequest(HttpResponse<String> r, String param) throws IOException {
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode b = TestServer.json(r);
        assertEquals("error", b.get("object").asText());
        assertEquals("BadRequestError", b.get("type").asText());
        assertEquals(400, b.get("code").asInt());
        assertEquals(b.get("message"), b.get("error").get("message"));
        assertEquals("BadRequestError", b.get("error").get("type").asText());
        if (param != null) {
            assertEquals(param, b.get("param").asText());
        }
        return b.get("message").asText();
    }

    private String chat(String fields) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + fields + "}";
    }

    @Test
    void malformedJsonIsA400NotA500() throws Exception {
        assertTrue(badRequest(s.post("/v1/chat/completions", "{\"messages\": ["), null).startsWith("The request body is not valid JSON"));
        assertTrue(badRequest(s.post("/v1/chat/completions", "[1]"), null).contains("JSON object"));
    }

    @Test
    void missingOrEmptyMessagesNameTheField() throws Exception {
        assertEquals("'messages' is required.", badRequest(s.post("/v1/chat/completions", "{}"), "messages"));
        badRequest(s.post("/v1/chat/completions", "{\"messages\":[]}"), "messages");
    }

    @Test
    void unknownPartTypesAndRolesAreRefusedWithTheirNames() throws Exception {
        assertEquals("Unknown content part type: input_audio", badRequest(s.post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}"),
                "messages[0].content[0].type"));
        assertEquals("Unknown role: tool", badRequest(s.post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"), "messages[0].role"));
        assertEquals("The system message should be a single text.", badRequest(s.post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}"),
                "messages[0].content"));
    }

    @Test
    void samplingValuesOutOfRangeGetSglangsMessages() throws Exception {
        assertEquals("temperature must be non-negative, got -0.5.",
                badRequest(s.post("/v1/chat/completions", chat(",\"temperature\":-0.5")), "temperature"));
        assertEquals("top_p must be in (0, 1], got 1.5.",
                badRequest(s.post("/v1/chat/completions", chat(",\"top_p\":1.5")), "top_p"));
        assertEquals("top_k must be -1 (disable), or at least 1, got 0.",
                badRequest(s.post("/v1/chat/completions", chat(",\"top_k\":0")), "top_k"));
        assertEquals("max_new_tokens must be at least 0, got -1.",
                badRequest(s.post("/v1/chat/completions", chat(",\"max_tokens\":-1")), "max_tokens"));
        assertEquals("'stream' must be a boolean.", badRequest(s.post("/v1/chat/completions", chat(",\"stream\":\"yes\"")),
                "stream"));
    }

    @Test
    void promptsTooLongForTheContextAreRefusedBeforeAStreamStarts() throws Exception {
        StringBuilder ids = new StringBuilder("[1");
        for (int i = 1; i < 40000; i++) {
            ids.append(",1");
        }
        ids.append(']');
        HttpResponse<String> r = s.post("/v1/completions", "{\"prompt\":" + ids + ",\"stream\":true}");
        assertTrue(badRequest(r, null).startsWith("The input (40000 tokens) is longer than the model's context length"));
        String total = badRequest(s.post("/v1/completions", "{\"prompt\":[1,2,3],\"max_tokens\":32766}"), null);
        assertTrue(total.startsWith("Requested token count exceeds the model's maximum context length of 32768 tokens."),
                total);
    }

    @Test
    void aConstraintTheServerDoesNotEnforceIsRefusedNeverIgnored() throws Exception {
        assertTrue(badRequest(s.post("/v1/chat/completions", chat(",\"response_format\":{\"type\":\"structural_tag\","
                + "\"structures\":[],\"triggers\":[]}")), "response_format").contains("not supported"));
        assertTrue(badRequest(s.post("/v1/chat/completions", chat(",\"response_format\":{\"type\":\"json_schema\","
                + "\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\",\"not\":{}}}}")), "response_format")
                .contains("unsupported JSON Schema keyword 'not'"));
        HttpResponse<String> object = s.post("/v1/chat/completions", chat(",\"max_tokens\":64,\"response_format\":{\"type\":"
                + "\"json_object\"}"));
        assertEquals(200, object.statusCode(), "json_object: MUST accept");
    }

    @Test
    void unknownPathsAndWrongMethodsAnswerLikeFastApi() throws Exception {
        HttpResponse<String> missing = s.get("/v1/nothing");
        assertEquals(404, missing.statusCode());
        assertEquals("{\"detail\":\"Not Found\"}", missing.body());
        HttpResponse<String> wrong = s.get("/v1/chat/completions");
        assertEquals(405, wrong.statusCode());
        assertEquals("{\"detail\":\"Method Not Allowed\"}", wrong.body());
    }

    @Test
    void aBodyOverTheLimitIsA413WithTheContractsBody() throws Exception {
        try (TestServer small = new TestServer(ServerOptions.DEFAULTS.withMaxRequestBytes(1000),
                new dev.iris.runtime.engine.EngineOptions(4, 256, 0, true, 2, 64))) {
            HttpResponse<String> r = small.post("/v1/chat/completions", chat(",\"user\":\"" + "x".repeat(2000) + "\""));
            assertEquals(413, r.statusCode());
            JsonNode b = TestServer.json(r);
            assertEquals(413, b.get("code").asInt());
            assertEquals(b.get("message"), b.get("error").get("message"));
            assertEquals("The request body is larger than the limit of 1000 bytes.", b.get("message").asText());
            // Without a declared length (chunked), the limit holds while the body is read.
            HttpResponse<String> chunked = small.client.send(java.net.http.HttpRequest.newBuilder(small.uri("/v1/completions"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
                            ("{\"prompt\":\"" + "y".repeat(5000) + "\"}").getBytes()))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(413, chunked.statusCode());
            assertEquals("The request body is larger than the limit of 1000 bytes.", TestServer.json(chunked).get("message").asText());
        }
    }

    @Test
    void nativeErrorsUseTheNativeBody() throws Exception {
        HttpResponse<String> r = s.post("/generate", "{\"sampling_params\":{}}");
        assertEquals(400, r.statusCode());
        assertEquals("Either text, input_ids or input_embeds should be provided.",
                TestServer.json(r).get("error").get("message").asText());
    }
}
