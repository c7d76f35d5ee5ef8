package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.grammar.EbnfGrammar;
import dev.iris.runtime.grammar.GrammarCompiler;
import dev.iris.runtime.grammar.GrammarOptions;
import dev.iris.runtime.grammar.RegexGrammar;
import dev.iris.runtime.grammar.GrammarText;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.plugin.PluginHostType;
import dev.iris.runtime.plugin.PluginRegistry;
import dev.iris.runtime.plugin.PluginSettings;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.weights.LoadProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Structured outputs end to end on the tiny random-weight models of the three tokenizer kinds
 * (Qwen2 and Llama-3 byte-level BPE, Llama-2 SentencePiece with byte fallback), sampling at
 * temperature 1 with several seeds: random weights mean only the grammar can make the answers
 * valid. Every {@code json_schema} answer parses and validates (networknt's validator), every
 * regex answer fully matches ({@link Pattern}), every EBNF answer is in its language, forced tool
 * calls carry arguments valid against their function's schema, and a streamed answer is the same
 * text. The constraints are in structured/constraints.json.
 */
class StructuredOutputsTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final long[] SEEDS = {1, 2, 3};

    @ParameterizedTest(name = "{0}")
    @CsvSource({"tiny-qwen2-vl, qwen2-vl", "tiny-mllama, llama_3_vision", "tiny-llava-1.5, vicuna_v1.1"})
    void everyAnswerIsInItsConstraintsLanguage(String name, String templateName) throws Exception {
        JsonNode corpus = TestServer.JSON.readTree(getClass().getResource("/structured/constraints.json"));
        Path dir = Path.of("../testdata/models").resolve(name);
        LoadedModel loaded;
        ChatTemplate template;
        try (PluginRegistry plugins = PluginRegistry.open(PluginSettings.of(Path.of("target/no-plugins"),
                PluginHostType.JPMS))) {
            loaded = LoadedModel.load(dir, plugins, "cpu", LoadProgress.NONE);
            template = plugins.require(ChatTemplate.class, templateName);
        }
        try (loaded; Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 4096, 0, true, 8, 64));
             IrisServer server = IrisServer.start(new ServedModel(name, dir.toString(), dir.toString(), engine,
                     loaded.tokenizer(), template, loaded.model().imageProcessor(), loaded.eosTokenIds(), 4096,
                     loaded.weightFormat()), ServerOptions.DEFAULTS.withPort(0).withToolCallParser("qwen25"))) {
            URI base = URI.create("http://127.0.0.1:" + server.port());
            for (long seed : SEEDS) {
                for (JsonNode s : corpus.get("json_schemas")) {
                    jsonSchemaAnswerValidates(base, s, seed);
                }
                for (JsonNode r : corpus.get("regexes")) {
                    regexAnswerMatches(base, r.asText(), seed);
                }
                for (JsonNode g : corpus.get("ebnf")) {
                    ebnfAnswerIsInTheLanguage(base, g.asText(), seed);
                }
                forcedToolCallsCarryValidArguments(base, corpus.get("tools"), seed);
            }
        }
    }

    private static void jsonSchemaAnswerValidates(URI base, JsonNode spec, long seed) throws Exception {
        ObjectNode body = chat("Describe the image as JSON.", seed);
        ObjectNode format = body.putObject("response_format");
        format.put("type", "json_schema");
        format.putObject("json_schema").put("name", spec.get("name").asText()).put("strict", true)
                .set("schema", spec.get("schema"));
        JsonNode answer = post(base, "/v1/chat/completions", body);
        JsonNode choice = answer.get("choices").get(0);
        String content = choice.get("message").get("content").asText();
        assertEquals("stop", choice.get("finish_reason").asText(), content);
        Schema schema = SCHEMAS.getSchema(spec.get("schema"));
        JsonNode value = TestServer.JSON.readTree(content);
        assertEquals(List.of(), schema.validate(value).stream().map(Object::toString).toList(), content);
        // The same request streamed gives the same text.
        body.put("stream", true);
        assertEquals(content, streamedContent(base, body), "streamed " + spec.get("name"));
    }

    private static void regexAnswerMatches(URI base, String regex, long seed) throws Exception {
        ObjectNode body = TestServer.JSON.createObjectNode();
        body.put("prompt", "The answer:").put("max_tokens", 64).put("temperature", 1.0).put("seed", seed)
                .put("regex", regex);
        JsonNode choice = post(base, "/v1/completions", body).get("choices").get(0);
        String text = choice.get("text").asText();
        assertEquals("stop", choice.get("finish_reason").asText(), text);
        assertTrue(Pattern.matches(regex, text), regex + " / " + text);
    }

    private static void ebnfAnswerIsInTheLanguage(URI base, String grammar, long seed) throws Exception {
        ObjectNode body = TestServer.JSON.createObjectNode();
        body.put("text", "List:");
        body.putObject("sampling_params").put("max_new_tokens", 96).put("temperature", 1.0).put("seed", seed)
                .put("ebnf", grammar);
        JsonNode out = post(base, "/generate", body);
        String text = out.get("text").asText();
        assertEquals("stop", out.get("meta_info").get("finish_reason").get("type").asText(), text);
        assertTrue(GrammarText.matches(GrammarCompiler.compile(EbnfGrammar.parse(grammar)), text), text);
    }

    /**
     * {@code required} with one call ({@code parallel_tool_calls: false}), a named function, and
     * {@code required} with parallel calls (one or more: a random model may go on calling until
     * {@code max_tokens}, so there only a finished answer's calls are checked).
     */
    private static void forcedToolCallsCarryValidArguments(URI base, JsonNode tools, long seed) throws Exception {
        String[][] choices = {{"\"required\"", "false"}, {"{\"type\": \"function\", \"function\": {\"name\": \"lookup\"}}",
                "true"}, {"\"required\"", "true"}};
        for (String[] c : choices) {
            JsonNode choice = TestServer.JSON.readTree(c[0]);
            boolean parallel = Boolean.parseBoolean(c[1]);
            ObjectNode body = chat("What is the weather in Paris?", seed);
            body.set("tools", tools);
            body.set("tool_choice", choice);
            body.put("parallel_tool_calls", parallel);
            JsonNode answer = post(base, "/v1/chat/completions", body).get("choices").get(0);
            if (parallel && choice.isTextual() && answer.get("finish_reason").asText().equals("length")) {
                continue;
            }
            assertEquals("tool_calls", answer.get("finish_reason").asText(), answer.toString());
            JsonNode calls = answer.get("message").get("tool_calls");
            assertFalse(calls.isEmpty());
            if (!parallel || choice.isObject()) {
                assertEquals(1, calls.size(), answer.toString());
            }
            for (JsonNode call : calls) {
                String fn = call.get("function").get("name").asText();
                if (choice.isObject()) {
                    assertEquals("lookup", fn);
                }
                JsonNode parameters = null;
                for (JsonNode t : tools) {
                    if (t.get("function").get("name").asText().equals(fn)) {
                        parameters = t.get("function").get("parameters");
                    }
                }
                JsonNode arguments = TestServer.JSON.readTree(call.get("function").get("arguments").asText());
                assertEquals(List.of(), SCHEMAS.getSchema(parameters).validate(arguments).stream()
                        .map(Object::toString).toList(), fn + " " + arguments);
            }
        }
    }

    /**
     * The mask holds in every sampling mode: greedy, top-k, top-p, min-p, penalties, a logit bias
     * against a token the schema needs, and {@code n > 1} — every choice validates. JSON whitespace is
     * narrowed to one optional space ({@code --constrained-json-whitespace-pattern}), as a random
     * model decoding greedily would otherwise fill every gap to the default bound.
     */
    @Test
    void everySamplingModeKeepsToTheSchema() throws Exception {
        JsonNode corpus = TestServer.JSON.readTree(getClass().getResource("/structured/constraints.json"));
        JsonNode schemaNode = corpus.get("bounded");
        try (TestServer s = new TestServer(ServerOptions.DEFAULTS.withGrammar(new GrammarOptions("[ ]?", 8, 64)),
                new EngineOptions(4, 2048, 0, true, 16, 64))) {
            URI base = s.uri("/");
            int brace = s.loaded.tokenizer().tokenId("{").orElseThrow();
            String[] modes = {"{\"temperature\": 0}", "{\"top_k\": 3, \"temperature\": 1.5}", "{\"top_p\": 0.5}",
                    "{\"min_p\": 0.2}", "{\"repetition_penalty\": 1.5, \"frequency_penalty\": 1.0, \"presence_penalty\": 1.0}",
                    "{\"logit_bias\": {\"" + brace + "\": -100}}", "{\"n\": 3, \"logprobs\": true, \"top_logprobs\": 2}"};
            Schema schema = SCHEMAS.getSchema(schemaNode);
            for (String mode : modes) {
                ObjectNode body = chat("Describe the image as JSON.", 7);
                body.setAll((ObjectNode) TestServer.JSON.readTree(mode));
                ObjectNode format = body.putObject("response_format");
                format.put("type", "json_schema");
                format.putObject("json_schema").put("name", "bounded").set("schema", schemaNode);
                for (JsonNode choice : post(base, "/v1/chat/completions", body).get("choices")) {
                    String content = choice.get("message").get("content").asText();
                    assertEquals("stop", choice.get("finish_reason").asText(), mode + " " + content);
                    assertEquals(List.of(), schema.validate(TestServer.JSON.readTree(content)).stream()
                            .map(Object::toString).toList(), mode + " " + content);
                }
            }
        }
    }

    /** A constraint cut by {@code max_tokens} ends with "length", its text a valid prefix of the language. */
    @Test
    void anAnswerCutByMaxTokensIsAValidPrefixEndingWithLength() throws Exception {
        String regex = "[a-z]{40}@example\\.(com|org)";
        try (TestServer s = new TestServer()) {
            ObjectNode body = TestServer.JSON.createObjectNode();
            body.put("prompt", "Mail:").put("max_tokens", 5).put("temperature", 1.0).put("seed", 3).put("regex", regex);
            JsonNode choice = post(s.uri("/"), "/v1/completions", body).get("choices").get(0);
            String text = choice.get("text").asText();
            assertEquals("length", choice.get("finish_reason").asText(), text);
            assertFalse(text.isEmpty());
            assertTrue(GrammarText.isPrefix(GrammarCompiler.compile(RegexGrammar.grammar(regex)),
                    text.getBytes(java.nio.charset.StandardCharsets.UTF_8)), text);
            assertFalse(Pattern.matches(regex, text), text);
        }
    }

    private static ObjectNode chat(String question, long seed) {
        ObjectNode body = TestServer.JSON.createObjectNode();
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "user").put("content", question);
        body.put("max_tokens", 400).put("temperature", 1.0).put("seed", seed);
        return body;
    }

    private static JsonNode post(URI base, String path, JsonNode body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve(path))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return TestServer.JSON.readTree(r.body());
    }

    private static String streamedContent(URI base, JsonNode body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder content = new StringBuilder();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: {")) {
                JsonNode delta = TestServer.JSON.readTree(line.substring(6)).get("choices").get(0).get("delta");
                if (delta != null && delta.hasNonNull("content")) {
                    content.append(delta.get("content").asText());
                }
            }
        }
        return content.toString();
    }
}
