package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.sun.net.httpserver.HttpServer;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ChatTemplateSource;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.plugin.PluginHostType;
import dev.iris.runtime.plugin.PluginRegistry;
import dev.iris.runtime.plugin.PluginSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chat with images through the official SDK against tiny-qwen2-vl served by the Qwen2-VL family:
 * the golden conversations of testdata/golden/tiny-qwen2-vl/one_image.json and two_images.json
 * (images from testdata/images) give transformers' greedy tokens, whether the image comes as a
 * data URL or from a local HTTP server (media loading with private URLs allowed), streamed or not.
 */
class VisionChatTest {

    private static TestServer s;
    private static OpenAIClient client;
    private static HttpServer images;

    @BeforeAll
    static void start() throws IOException {
        s = TestServer.vision(ServerOptions.DEFAULTS.withMedia(MediaOptions.defaults().withAllowPrivateUrls(true))
                        .withMetrics(true),
                new EngineOptions(4, 1024, 0, true, 8, 64));
        client = OpenAIOkHttpClient.builder().baseUrl(s.uri("/v1").toString()).apiKey("none").maxRetries(0).build();
        images = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        images.createContext("/", exchange -> {
            Path file = Path.of("../testdata/images").resolve(exchange.getRequestURI().getPath().substring(1));
            byte[] body = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
            exchange.sendResponseHeaders(body.length > 0 ? 200 : 404, body.length > 0 ? body.length : -1);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        images.start();
    }

    @AfterAll
    static void stop() throws IOException {
        images.stop(0);
        client.close();
        s.close();
    }

    private static JsonNode golden(String name) throws IOException {
        return TestServer.JSON.readTree(Path.of("../testdata/golden/tiny-qwen2-vl/" + name + ".json").toFile());
    }

    private static String dataUrl(String image) throws IOException {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(
                Files.readAllBytes(Path.of("../testdata/images").resolve(image)));
    }

    private static String httpUrl(String image) {
        return "http://127.0.0.1:" + images.getAddress().getPort() + "/" + image;
    }

    /** The golden user message with each image reference replaced by {@code url(file name)}. */
    private static ChatCompletionCreateParams.Builder request(JsonNode golden, java.util.function.Function<String, String> url) {
        List<ChatCompletionContentPart> parts = new ArrayList<>();
        for (JsonNode p : golden.get("messages_openai").get(0).get("content")) {
            if (p.get("type").asText().equals("text")) {
                parts.add(ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder()
                        .text(p.get("text").asText()).build()));
            } else {
                String file = Path.of(p.get("image_url").get("url").asText()).getFileName().toString();
                parts.add(ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
                        .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder().url(url.apply(file)).build()).build()));
            }
        }
        return ChatCompletionCreateParams.builder().model("tiny-qwen2-vl").addUserMessageOfArrayOfContentParts(parts)
                .temperature(0.0).maxCompletionTokens(golden.get("greedy").get("max_new_tokens").asLong())
                .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true));
    }

    private static String goldenText(JsonNode golden) {
        JsonNode t = golden.get("greedy").get("new_tokens_ignore_eos");
        int[] ids = new int[t.size()];
        Arrays.setAll(ids, i -> t.get(i).asInt());
        return s.loaded.tokenizer().decode(ids, true);
    }

    /** The qwen2-vl template renders each golden conversation to transformers' chat-template output, byte for byte. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"text_only", "one_image", "two_images"})
    void theTemplateRendersTheGoldenConversationAsTransformersDoes(String name) throws IOException {
        JsonNode golden = golden(name);
        JsonNode body = TestServer.JSON.createObjectNode().set("messages", golden.get("messages_openai"));
        String rendered = s.template.render(ChatMessages.parse(body, MessageLimits.DEFAULTS), true).text();
        assertEquals(golden.get("rendered_prompt").asText(), rendered);
    }

    @Test
    void anImageAsADataUrlGivesTransformersTokens() throws IOException {
        JsonNode golden = golden("one_image");
        ChatCompletion c = client.chat().completions().create(request(golden, f -> {
            try {
                return dataUrl(f);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).build());
        assertEquals(goldenText(golden), c.choices().getFirst().message().content().orElseThrow());
        assertEquals(golden.get("seq_len").asLong(), c.usage().orElseThrow().promptTokens());
    }

    @Test
    void generateWithTheGoldenPromptTextAndImageReturnsTheGoldenIds() throws Exception {
        JsonNode golden = golden("one_image");
        String body = "{\"text\":" + TestServer.JSON.writeValueAsString(golden.get("rendered_prompt").asText())
                + ",\"image_data\":\"" + dataUrl("gradient_640x480.png") + "\",\"sampling_params\":{\"temperature\":0,"
                + "\"max_new_tokens\":8,\"ignore_eos\":true}}";
        JsonNode out = TestServer.json(s.post("/generate", body));
        assertEquals(golden.get("greedy").get("new_tokens_ignore_eos"), out.get("output_ids"));
        assertEquals(golden.get("seq_len").asInt(), out.get("meta_info").get("prompt_tokens").asInt());
    }

    @Test
    void twoImagesFromAnHttpServerInOneMessageStreamTransformersTokens() throws IOException {
        JsonNode golden = golden("two_images");
        StringBuilder text = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                .createStreaming(request(golden, VisionChatTest::httpUrl).build())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
        }
        assertEquals(goldenText(golden), text.toString());
    }

    /**
     * The same picture again, behind another system prompt (so the prefix cache cannot supply its
     * positions): its features come from the image cache, not from the vision tower.
     */
    @Test
    void theSameImageInAnotherRequestSkipsTheVisionTower() throws Exception {
        String user = "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\""
                + httpUrl("tall_300x1000.png") + "\"}},{\"type\":\"text\",\"text\":\"What is it?\"}]}";
        String chat = "{\"model\":\"tiny-qwen2-vl\",\"max_tokens\":4,\"messages\":[";
        assertEquals(200, s.post("/v1/chat/completions", chat + user + "]}").statusCode());
        double encoded = metric("images_encoded_total");
        double hits = metric("image_cache_hits_total");
        String system = "{\"role\":\"system\",\"content\":\"Answer in one word.\"},";
        assertEquals(200, s.post("/v1/chat/completions", chat + system + user + "]}").statusCode());
        assertEquals(encoded, metric("images_encoded_total"));
        assertEquals(hits + 1, metric("image_cache_hits_total"));
        assertTrue(metric("image_cache_bytes") > 0);
    }

    /** Qwen's per-image {@code max_pixels}: fewer image tokens on request, never more than the server allows. */
    @Test
    void anImageMayAskForFewerPixelsButNotForMoreThanTheServerAllows() throws Exception {
        JsonNode golden = golden("one_image");
        long serverMax = JsonConfigView.read(Path.of("../testdata/models/tiny-qwen2-vl/preprocessor_config.json"), false)
                .integer("max_pixels").orElseThrow();
        java.util.function.LongFunction<String> chat = max -> "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":"
                + "\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + httpUrl("gradient_640x480.png")
                + "\"},\"max_pixels\":" + max + "},{\"type\":\"text\",\"text\":\"Describe this image.\"}]}]}";
        HttpResponse<String> smaller = s.post("/v1/chat/completions", chat.apply(serverMax / 2));
        assertEquals(200, smaller.statusCode(), smaller.body());
        long prompt = TestServer.json(smaller).get("usage").get("prompt_tokens").asLong();
        assertTrue(prompt < golden.get("seq_len").asLong(), "prompt tokens " + prompt);
        HttpResponse<String> larger = s.post("/v1/chat/completions", chat.apply(serverMax * 2));
        assertEquals(400, larger.statusCode());
        assertTrue(larger.body().contains("max_pixels " + serverMax * 2 + " is above this server's limit of " + serverMax),
                larger.body());
    }

    /**
     * The family's image errors reach the client as 400s naming the image: an aspect ratio over 200
     * (testdata/images/strip_6000x28.png, one colour). An image smaller than one 28×28 window (the
     * fixture's 37×23), which transformers refuses, is answered.
     */
    @Test
    void imagesTheProcessorRefusesAre400sNamingTheImage() throws Exception {
        String stripUrl = dataUrl("strip_6000x28.png");
        java.util.function.Function<String, String> chat = url -> "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"Look\"},{\"type\":\"image_url\",\"image_url\":"
                + "{\"url\":\"" + url + "\"}}]}]}";
        HttpResponse<String> wide = s.post("/v1/chat/completions", chat.apply(stripUrl));
        assertEquals(400, wide.statusCode());
        JsonNode error = TestServer.json(wide).get("error");
        assertEquals("Failed to load image 0: absolute aspect ratio must be smaller than 200, got 214.28571428571428",
                error.get("message").asText());
        assertEquals("BadRequestError", error.get("type").asText());
        // [DEV] an image under 28 px is scaled up as SGLang does, not refused as transformers does.
        HttpResponse<String> tiny = s.post("/v1/chat/completions", chat.apply(dataUrl("tiny_rgba_37x23.png")));
        assertEquals(200, tiny.statusCode(), tiny.body());
    }

    /**
     * Without {@code --chat-template} the server renders with the checkpoint's own Jinja template:
     * the golden two-image messages give transformers' tokens.
     */
    @Test
    void theGoldenMessagesThroughTheModelsOwnTemplateGiveTransformersTokens() throws Exception {
        JsonNode golden = golden("two_images");
        Path model = Path.of("../testdata/models/tiny-qwen2-vl");
        ChatTemplate own;
        try (PluginRegistry plugins = PluginRegistry.open(PluginSettings.of(Path.of("target/no-plugins"),
                PluginHostType.JPMS))) {
            own = plugins.require(ChatTemplateSource.class, "files").fromModel("tiny-qwen2-vl",
                    JsonConfigView.read(model.resolve("tokenizer_config.json"), true),
                    JsonConfigView.read(model.resolve("chat_template.json"), true)).orElseThrow();
        }
        ServedModel withOwn = new ServedModel("tiny-qwen2-vl", model.toString(), model.toString(), s.engine,
                s.loaded.tokenizer(), own, s.loaded.model().imageProcessor(), s.loaded.eosTokenIds(), 32768,
                s.loaded.weightFormat());
        try (IrisServer jinja = IrisServer.start(withOwn, ServerOptions.DEFAULTS.withPort(0)
                .withMedia(MediaOptions.defaults().withAllowPrivateUrls(true)))) {
            OpenAIClient jinjaClient = OpenAIOkHttpClient.builder()
                    .baseUrl("http://127.0.0.1:" + jinja.port() + "/v1").apiKey("none").maxRetries(0).build();
            try {
                ChatCompletion c = jinjaClient.chat().completions().create(request(golden, VisionChatTest::httpUrl).build());
                assertEquals(goldenText(golden), c.choices().getFirst().message().content().orElseThrow());
                assertEquals(golden.get("seq_len").asLong(), c.usage().orElseThrow().promptTokens());
            } finally {
                jinjaClient.close();
            }
        }
    }

    private static double metric(String name) throws Exception {
        String prefix = "sglang:" + name + "{";
        return s.get("/metrics").body().lines().filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElseThrow();
    }
}
