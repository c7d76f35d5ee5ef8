package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.sampling.Sampler;
import dev.iris.modelkit.lm.TextOnlyArchitecture;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.plugin.PluginHostType;
import dev.iris.runtime.plugin.PluginRegistry;
import dev.iris.runtime.plugin.PluginSettings;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.weights.LoadProgress;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A server on a free port over tiny-qwen2-vl's language model (testdata) and the built-in
 * {@code qwen2-vl} template (which renders the golden conversation to its {@code rendered_prompt}), with
 * golden/tiny-qwen2-vl/text_only.json for the expected tokens, and a plain HTTP client.
 */
final class TestServer implements AutoCloseable {

    static final Path MODEL = Path.of("../testdata/models/tiny-qwen2-vl");
    static final ObjectMapper JSON = new ObjectMapper();

    final LoadedModel loaded;
    final ChatTemplate template;
    final Engine engine;
    final IrisServer server;
    final ServedModel model;
    final JsonNode golden;
    final HttpClient client = HttpClient.newHttpClient();

    TestServer(ServerOptions options, EngineOptions engineOptions) throws IOException {
        this(options, engineOptions, null);
    }

    /** @param images an image processor for the served model, or null (the text model takes no images) */
    TestServer(ServerOptions options, EngineOptions engineOptions, ImageProcessor images) throws IOException {
        this(options, engineOptions, images, false);
    }

    /** The checkpoint served by the Qwen2-VL family found in the boot layer, with its own image processor. */
    static TestServer vision(ServerOptions options, EngineOptions engineOptions) throws IOException {
        return new TestServer(options, engineOptions, null, true, new DefaultSampler());
    }

    /** The text model with another sampler (e.g. one that writes a scripted answer). */
    static TestServer withSampler(ServerOptions options, Sampler sampler) throws IOException {
        return new TestServer(options, new EngineOptions(4, 2048, 0, true, 16, 64), null, false, sampler);
    }

    private TestServer(ServerOptions options, EngineOptions engineOptions, ImageProcessor images, boolean family)
            throws IOException {
        this(options, engineOptions, images, family, new DefaultSampler());
    }

    private TestServer(ServerOptions options, EngineOptions engineOptions, ImageProcessor images, boolean family,
                       Sampler sampler) throws IOException {
        // Backends, templates and families come from the boot layer, as in the server (their packages are not exported).
        try (PluginRegistry plugins = PluginRegistry.open(PluginSettings.of(Path.of("target/no-plugins"),
                PluginHostType.JPMS))) {
            loaded = family ? LoadedModel.load(MODEL, plugins, "cpu", LoadProgress.NONE)
                    : LoadedModel.load(MODEL, List.of(new TextOnlyArchitecture(Set.of("Qwen2VLForConditionalGeneration"),
                    "qwen2-vl")), plugins.require(ComputeBackend.class, "cpu"),
                    plugins.require(AttentionBackend.class, "cpu"), LoadProgress.NONE);
            template = plugins.require(ChatTemplate.class, "qwen2-vl");
        }
        if (family) {
            images = loaded.model().imageProcessor();
        }
        engine = loaded.newEngine(sampler, engineOptions);
        golden = JSON.readTree(Path.of("../testdata/golden/tiny-qwen2-vl/text_only.json").toFile());
        model = new ServedModel("tiny-qwen2-vl", MODEL.toString(), MODEL.toString(), engine,
                loaded.tokenizer(), template, images, loaded.eosTokenIds(), 32768, loaded.weightFormat());
        server = IrisServer.start(model, options.withPort(0));
    }

    TestServer() throws IOException {
        this(ServerOptions.DEFAULTS, new EngineOptions(4, 2048, 0, true, 16, 64));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** The golden greedy tokens for the golden conversation. */
    int[] goldenTokens() {
        JsonNode a = golden.get("greedy").get("new_tokens_ignore_eos");
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    String goldenMessages() {
        return golden.get("messages_openai").toString();
    }

    @Override
    public void close() throws IOException {
        server.close();
        engine.close();
        loaded.close();
    }
}
