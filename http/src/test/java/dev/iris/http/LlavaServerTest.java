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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The three tiny LLaVA models served by the LLaVA family found in the boot layer, with each
 * checkpoint's own Jinja template: the golden prompt text and image through {@code /generate}, and
 * the golden messages through {@code /v1/chat/completions}, give transformers' tokens
 * (testdata/golden/NAME/one_image.json).
 */
class LlavaServerTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String dataUrl(String file) throws IOException {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(
                Files.readAllBytes(Path.of("../testdata").resolve(file)));
    }

    private static HttpResponse<String> post(IrisServer server, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llava-1.5", "tiny-llava-next", "tiny-llava-onevision"})
    void theGoldenPromptAndMessagesGiveTransformersTokens(String name) throws Exception {
        Path dir = Path.of("../testdata/models").resolve(name);
        JsonNode golden = TestServer.JSON.readTree(Path.of("../testdata/golden").resolve(name).resolve("one_image.json")
                .toFile());
        ChatTemplate own;
        LoadedModel loaded;
        try (PluginRegistry plugins = PluginRegistry.open(PluginSettings.of(Path.of("target/no-plugins"),
                PluginHostType.JPMS))) {
            loaded = LoadedModel.load(dir, plugins, "cpu", LoadProgress.NONE);
            own = plugins.require(ChatTemplateSource.class, "files").fromModel(name,
                    JsonConfigView.read(dir.resolve("tokenizer_config.json"), true),
                    JsonConfigView.read(dir.resolve("chat_template.json"), true)).orElseThrow();
        }
        try (loaded; Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 2048, 0, true, 8, 64));
             IrisServer server = IrisServer.start(new ServedModel(name, dir.toString(), dir.toString(), engine,
                     loaded.tokenizer(), own, loaded.model().imageProcessor(), loaded.eosTokenIds(), 4096,
                     loaded.weightFormat()),
                     ServerOptions.DEFAULTS.withPort(0))) {
            String image = dataUrl(golden.get("image_files").get(0).asText());
            // /generate with the rendered prompt holding one placeholder per image (the server expands it).
            String prompt = golden.get("rendered_prompt").asText();
            HttpResponse<String> generated = post(server, "/generate", "{\"text\":"
                    + TestServer.JSON.writeValueAsString(prompt) + ",\"image_data\":\"" + image
                    + "\",\"sampling_params\":{\"temperature\":0,\"max_new_tokens\":8,\"ignore_eos\":true}}");
            assertEquals(200, generated.statusCode(), generated.body());
            JsonNode out = TestServer.json(generated);
            assertEquals(golden.get("greedy").get("new_tokens_ignore_eos"), out.get("output_ids"));
            assertEquals(golden.get("seq_len").asInt(), out.get("meta_info").get("prompt_tokens").asInt());
            String messages = golden.get("messages_openai").toString().replace(golden.get("image_files").get(0).asText(),
                    image);
            HttpResponse<String> chat = post(server, "/v1/chat/completions", "{\"model\":\"m\",\"temperature\":0,"
                    + "\"max_tokens\":8,\"ignore_eos\":true,\"messages\":" + messages + "}");
            assertEquals(200, chat.statusCode(), chat.body());
            int[] tokens = new int[8];
            java.util.Arrays.setAll(tokens, i -> golden.get("greedy").get("new_tokens_ignore_eos").get(i).asInt());
            JsonNode body = TestServer.json(chat);
            assertEquals(loaded.tokenizer().decode(tokens, true), body.get("choices").get(0).get("message").get("content")
                    .asText());
            assertEquals(golden.get("seq_len").asInt(), body.get("usage").get("prompt_tokens").asInt());
        }
    }
}
