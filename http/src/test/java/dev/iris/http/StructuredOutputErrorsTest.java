package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A constraint the server cannot enforce is a 400 whose message names the problem, and the server
 * goes on answering: after each refusal the same server generates a constrained answer.
 */
class StructuredOutputErrorsTest {

    private static TestServer s;

    @BeforeAll
    static void start() throws IOException {
        s = new TestServer();
    }

    @AfterAll
    static void stop() throws IOException {
        s.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            malformed schema        | /v1/chat/completions | "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": 7}}} | type
            unsupported keyword     | /v1/chat/completions | "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "if": {}}}} | 'if'
            schema text not JSON    | /v1/completions      | "json_schema": "{\\"type\\": "                                                                     | not valid JSON
            invalid regex           | /v1/completions      | "regex": "(ab"                                                                                    | regex
            EBNF without root       | /v1/completions      | "ebnf": "answer ::= \\"yes\\""                                                                    | root
            two constraints         | /v1/completions      | "regex": "a+", "ebnf": "root ::= \\"a\\""                                                         | Only one of
            tool choice of no tool  | /v1/chat/completions | "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function", "function": {"name": "g"}} | 'g'
            forced call and format  | /v1/chat/completions | "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required", "response_format": {"type": "json_object"} | cannot be combined
            """)
    void isRefusedNamingTheProblemAndTheServerGoesOn(String what, String path, String fields, String named)
            throws Exception {
        String prompt = path.equals("/v1/completions") ? "\"prompt\": \"Hi\""
                : "\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]";
        HttpResponse<String> r = s.post(path, "{" + prompt + ", \"max_tokens\": 4, " + fields + "}");
        assertEquals(400, r.statusCode(), what + ": " + r.body());
        JsonNode error = TestServer.json(r).get("error");
        assertTrue(error.get("message").asText().contains(named), what + ": " + error);
        HttpResponse<String> ok = s.post("/v1/completions", "{\"prompt\": \"Hi\", \"max_tokens\": 8, \"regex\": \"[0-9]{3}\"}");
        assertEquals(200, ok.statusCode(), ok.body());
        assertTrue(TestServer.json(ok).get("choices").get(0).get("text").asText().matches("[0-9]{3}"), ok.body());
    }
}
