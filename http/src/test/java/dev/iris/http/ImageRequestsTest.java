package dev.iris.http;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.tensor.Shape;
import dev.iris.runtime.engine.EngineOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Image parts through the official SDK and {@code /generate}: every image that cannot be loaded
 * is a 400 naming its position and the cause, before any generation. The served model here is a
 * text model given a stand-in processor, so a request whose images all load is refused by the
 * model itself; image answers come with the vision families (#7–#9). Image URLs are served by
 * the server under test itself (media loading started with private URLs allowed).
 */
class ImageRequestsTest {

    private static final Path PNG = Path.of("../testdata/images/tiny_rgba_37x23.png");

    private static TestServer s;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws IOException {
        ServerOptions options = ServerOptions.DEFAULTS.withMetrics(true).withMedia(
                dev.iris.runtime.media.MediaOptions.defaults().withAllowPrivateUrls(true).withMaxImages(2));
        // A stand-in processor: the loading and the limits are what is tested here.
        s = new TestServer(options, new EngineOptions(4, 1024, 0, true, 4, 64), new ImageProcessor() {
            @Override
            public ProcessedImage process(RgbaImage image, ConfigView overrides) {
                return new ProcessedImage() {
                    public float[] pixelValues() {
                        return new float[image.width() * image.height()];
                    }

                    public Shape pixelShape() {
                        return Shape.of(image.height(), image.width());
                    }

                    public int promptTokens() {
                        return 1;
                    }
                };
            }

            @Override
            public int maxPromptTokens() {
                return 1;
            }
        });
        client = OpenAIOkHttpClient.builder().baseUrl(s.uri("/v1").toString()).apiKey("none").maxRetries(0).build();
    }

    @AfterAll
    static void stop() throws IOException {
        client.close();
        s.close();
    }

    private static ChatCompletionContentPart image(String url) {
        return ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
                .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder().url(url).build()).build());
    }

    private static String refusal(String... urls) {
        List<ChatCompletionContentPart> parts = new ArrayList<>();
        for (String u : urls) {
            parts.add(image(u));
        }
        parts.add(ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text("What is this?").build()));
        BadRequestException e = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("m").addUserMessageOfArrayOfContentParts(parts).build()));
        assertEquals(400, e.statusCode());
        assertEquals("BadRequestError", e.type().orElseThrow());
        return e.getMessage();
    }

    @Test
    void imagesThatCannotBeLoadedAreRefusedWithTheirPositionAndCause() throws IOException {
        String png = "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(PNG));
        String missing = s.uri("/images/missing.png").toString();
        assertTrue(refusal(png, missing).contains("Failed to load image 1: HTTP 404 from " + missing));
        assertTrue(refusal("data:image/png;base64," + Base64.getEncoder().encodeToString("<html>".getBytes()))
                .contains("Failed to load image 0: cannot identify image data"));
        assertTrue(refusal(png.substring(0, png.length() - 3)).contains("Failed to load image 0: invalid base64 data"));
        assertTrue(refusal(png, png, png).contains("At most 2 image(s) may be provided in one request."));
    }

    @Test
    void loadedImagesReachTheModelWhichHereTakesNoneAndAreCountedInTheMetrics() throws Exception {
        String png = "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(PNG));
        assertTrue(refusal(png, png).contains("this model takes no images"));
        String metrics = s.get("/metrics").body();
        assertTrue(metrics.contains("sglang:num_images_total{model_name=\"tiny-qwen2-vl\"} 2"), metrics);
        assertTrue(metrics.contains("sglang:image_preprocess_seconds_count{model_name=\"tiny-qwen2-vl\"} 1"), metrics);
    }

    @Test
    void generateLoadsImageDataTheSameWay() throws Exception {
        HttpResponse<String> r = s.post("/generate", "{\"text\":\"<|vision_start|><|image_pad|><|vision_end|>hi\","
                + "\"image_data\":\"bm90IGFuIGltYWdl\"}");
        assertEquals(400, r.statusCode());
        assertEquals("Failed to load image 0: cannot identify image data",
                TestServer.json(r).get("error").get("message").asText());
    }

    @Test
    void aModelWithoutImagesRefusesThemBeforeFetching() throws Exception {
        try (TestServer text = new TestServer()) {
            HttpResponse<String> r = text.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":"
                    + "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://192.0.2.1/never-fetched.png\"}}]}]}");
            assertEquals(400, r.statusCode());
            assertEquals("The served model takes no images.", TestServer.json(r).get("message").asText());
        }
    }

}
