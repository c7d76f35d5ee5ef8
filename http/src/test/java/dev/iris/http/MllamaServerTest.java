package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ChatTemplateSource;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.plugin.PluginHostType;
import dev.iris.runtime.plugin.PluginRegistry;
import dev.iris.runtime.plugin.PluginSettings;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.weights.LoadProgress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tiny-mllama served by the Mllama family found in the boot layer, with the {@code llama_3_vision}
 * template: the golden prompt text and image through {@code /generate} give transformers' tokens
 * (testdata/golden/tiny-mllama/one_image.json), a chat with an image renders one BOS, and more
 * images than the family takes are refused before any is fetched.
 */
class MllamaServerTest {

    private static final Path MODEL = Path.of("../testdata/models/tiny-mllama");

    private static LoadedModel loaded;
    private static Engine engine;
    private static IrisServer server;
    private static ServedModel model;
    private static ChatTemplate own;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        ChatTemplate template;
        try (PluginRegistry plugins = PluginRegistry.open(PluginSettings.of(Path.of("target/no-plugins"),
                PluginHostType.JPMS))) {
            loaded = LoadedModel.load(MODEL, plugins, "cpu", LoadProgress.NONE);
            template = plugins.require(ChatTemplate.class, "llama_3_vision");
            own = plugins.require(ChatTemplateSource.class, "files").fromModel("tiny-mllama",
                    JsonConfigView.read(MODEL.resolve("tokenizer_config.json"), true),
                    JsonConfigView.read(MODEL.resolve("chat_template.json"), true)).orElseThrow();
        }
        engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 2048, 0, true, 8, 64));
        TemplateLookup byName = name -> java.util.stream.Stream.of(template, own).filter(t -> t.name().equals(name)).findFirst();
        model = new ServedModel("tiny-mllama", MODEL.toString(), MODEL.toString(), engine, loaded.tokenizer(), template,
                byName, loaded.model().imageProcessor(), loaded.eosTokenIds(), loaded.model().spec().contextLength(),
                loaded.weightFormat());
        server = IrisServer.start(model, ServerOptions.DEFAULTS.withPort(0));
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
        engine.close();
        loaded.close();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String dataUrl(String image) throws IOException {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(
                Files.readAllBytes(Path.of("../testdata/images").resolve(image)));
    }

    @Test
    void generateWithTheGoldenPromptTextAndImageReturnsTheGoldenIds() throws Exception {
        JsonNode golden = TestServer.JSON.readTree(Path.of("../testdata/golden/tiny-mllama/one_image.json").toFile());
        String body = "{\"text\":" + TestServer.JSON.writeValueAsString(golden.get("rendered_prompt").asText())
                + ",\"image_data\":\"" + dataUrl("gradient_640x480.png") + "\",\"sampling_params\":{\"temperature\":0,"
                + "\"max_new_tokens\":8,\"ignore_eos\":true}}";
        HttpResponse<String> r = post("/generate", body);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode out = TestServer.json(r);
        assertEquals(golden.get("greedy").get("new_tokens_ignore_eos"), out.get("output_ids"));
        assertEquals(golden.get("seq_len").asInt(), out.get("meta_info").get("prompt_tokens").asInt());
    }

    @Test
    void aChatWithAnImageIsRenderedWithOneBos() throws Exception {
        String chat = "{\"model\":\"m\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                + "\"image_url\",\"image_url\":{\"url\":\"" + dataUrl("tall_300x1000.png") + "\"}},{\"type\":\"text\","
                + "\"text\":\"What is it?\"}]}]}";
        HttpResponse<String> r = post("/v1/chat/completions", chat);
        assertEquals(200, r.statusCode(), r.body());
        int bos = loaded.tokenizer().tokenId("<|begin_of_text|>").orElseThrow();
        int[] ids = model.encode(model.chatTemplate().render(ChatMessages.parse(TestServer.JSON.readTree(chat), MessageLimits.DEFAULTS), true).text());
        assertEquals(1, java.util.Arrays.stream(ids).filter(id -> id == bos).count());
        assertEquals(ids.length, TestServer.json(r).get("usage").get("prompt_tokens").asInt());
    }

    /**
     * Without {@code --chat-template} the server renders with the checkpoint's own Jinja template:
     * the golden messages (image as a data URL) give transformers' tokens.
     */
    @Test
    void theGoldenMessagesThroughTheModelsOwnTemplateGiveTransformersTokens() throws Exception {
        JsonNode golden = TestServer.JSON.readTree(Path.of("../testdata/golden/tiny-mllama/one_image.json").toFile());
        ServedModel withOwn = new ServedModel("tiny-mllama", MODEL.toString(), MODEL.toString(), engine,
                loaded.tokenizer(), own, loaded.model().imageProcessor(), loaded.eosTokenIds(),
                loaded.model().spec().contextLength(), loaded.weightFormat());
        try (IrisServer jinja = IrisServer.start(withOwn, ServerOptions.DEFAULTS.withPort(0))) {
            String messages = golden.get("messages_openai").toString()
                    .replace("images/gradient_640x480.png", dataUrl("gradient_640x480.png"));
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + jinja.port() + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"temperature\":0,\"max_tokens\":8,"
                            + "\"ignore_eos\":true,\"messages\":" + messages + "}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = TestServer.json(r);
            int[] tokens = new int[8];
            java.util.Arrays.setAll(tokens, i -> golden.get("greedy").get("new_tokens_ignore_eos").get(i).asInt());
            assertEquals(loaded.tokenizer().decode(tokens, true),
                    body.get("choices").get(0).get("message").get("content").asText());
            assertEquals(golden.get("seq_len").asInt(), body.get("usage").get("prompt_tokens").asInt());
        }
    }

    /**
     * A request may name another template the server has ({@code chat_template}) and give a Jinja
     * template its variables ({@code chat_template_kwargs}): the prompt is the one rendered with the
     * request's date, not today's. Unknown names and malformed variables are 400s naming the field.
     */
    @Test
    void aRequestNamesATemplateAndGivesItsVariables() throws Exception {
        String messages = "[{\"role\":\"user\",\"content\":\"Hello there.\"}]";
        HttpResponse<String> r = post("/v1/chat/completions", "{\"max_tokens\":2,\"messages\":" + messages
                + ",\"chat_template\":\"" + own.name() + "\",\"chat_template_kwargs\":{\"date_string\":\"1 January 1999\"}}");
        assertEquals(200, r.statusCode(), r.body());
        var parsed = ChatMessages.parse(TestServer.JSON.readTree("{\"messages\":" + messages + "}"), MessageLimits.DEFAULTS);
        String withDate = own.render(parsed, true, java.util.Map.of("date_string", "1 January 1999")).text();
        assertTrue(withDate.contains("Today Date: 1 January 1999"), withDate);
        assertEquals(model.encode(withDate).length, TestServer.json(r).get("usage").get("prompt_tokens").asInt());
        assertTrue(model.encode(withDate).length != model.encode(own.render(parsed, true).text()).length);

        HttpResponse<String> unknown = post("/v1/chat/completions", "{\"messages\":" + messages
                + ",\"chat_template\":\"no-such-template\"}");
        assertEquals(400, unknown.statusCode());
        assertEquals("chat_template", TestServer.json(unknown).get("error").get("param").asText());
        assertTrue(unknown.body().contains("no-such-template"), unknown.body());
        HttpResponse<String> malformed = post("/v1/chat/completions", "{\"messages\":" + messages
                + ",\"chat_template_kwargs\":[1]}");
        assertEquals(400, malformed.statusCode());
        assertEquals("chat_template_kwargs", TestServer.json(malformed).get("error").get("param").asText());
    }

    @Test
    void moreImagesThanTheFamilyTakesAreRefused() throws Exception {
        int limit = loaded.model().imageProcessor().maxImagesPerPrompt();
        StringBuilder parts = new StringBuilder();
        for (int i = 0; i <= limit; i++) {
            parts.append("{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://192.0.2.1/").append(i).append(".png\"}},");
        }
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":[" + parts + "{\"type\":\"text\",\"text\":\"Compare.\"}]}]}");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("The served model takes at most " + limit + " image(s) per request, got "
                + (limit + 1) + "."), r.body());
    }
}
