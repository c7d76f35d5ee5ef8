package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iris.runtime.engine.EngineOptions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The npm {@code openai} client (src/test/node/stream-chat.mjs) streams a chat with an image
 * (testdata/images/gradient_640x480.png as a data URL) from tiny-qwen2-vl served by the Qwen2-VL
 * family, raw and through its stream helper, and gets transformers' tokens
 * (testdata/golden/tiny-qwen2-vl/one_image.json). Runs where {@code node} and {@code npm} are installed (the
 * client is installed into target/ on first use) and is skipped with a message elsewhere.
 */
class NodeClientTest {

    private static final String CLIENT = "openai@7.55.0";
    private static final Path DIR = Path.of("target/node-client");

    @Test
    void theNpmClientStreamsAnImageChatWithTheReferenceTextRawAndThroughItsHelper() throws Exception {
        script("stream-chat.mjs");
        try (TestServer s = TestServer.vision(ServerOptions.DEFAULTS.withApiKey("sk-iris"), new EngineOptions(4, 1024, 0, true, 4, 64))) {
            JsonNode golden = TestServer.JSON.readTree(Path.of("../testdata/golden/tiny-qwen2-vl/one_image.json").toFile());
            String user = golden.get("messages_openai").get(0).get("content").get(1).get("text").asText();
            String image = "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(
                    Files.readAllBytes(Path.of("../testdata/images/gradient_640x480.png")));
            Process p = new ProcessBuilder("node", "stream-chat.mjs", s.uri("/v1").toString(), user, image)
                    .directory(DIR.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            assertEquals(0, p.exitValue(), out);
            JsonNode result = TestServer.JSON.readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
            JsonNode tokens = golden.get("greedy").get("new_tokens_ignore_eos");
            int[] ids = new int[tokens.size()];
            java.util.Arrays.setAll(ids, i -> tokens.get(i).asInt());
            String expected = s.loaded.tokenizer().decode(ids, true);
            assertEquals(expected, result.get("raw").asText());
            assertEquals(expected, result.get("helper").asText());
            assertEquals("length", result.get("finish").asText());
        }
    }

    /**
     * The npm client's structured outputs: an image described under a JSON schema, parsed by
     * {@code chat.completions.parse} and by the stream helper, validates against the schema (the
     * random weights cannot make it valid; the grammar does), the same object both ways.
     */
    @Test
    void theNpmClientParsesAnImageDescriptionHeldToAJsonSchema() throws Exception {
        script("structured-chat.mjs");
        String schema = "{\"type\": \"object\", \"properties\": {\"colour\": {\"enum\": [\"red\", \"green\", \"blue\"]},"
                + " \"count\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 9}, \"label\": {\"type\": \"string\","
                + " \"maxLength\": 6}}, \"required\": [\"colour\", \"count\", \"label\"], \"additionalProperties\": false}";
        try (TestServer s = TestServer.vision(ServerOptions.DEFAULTS.withApiKey("sk-iris"), new EngineOptions(4, 1024, 0, true, 4, 64))) {
            String image = "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(
                    Files.readAllBytes(Path.of("../testdata/images/gradient_640x480.png")));
            Process p = new ProcessBuilder("node", "structured-chat.mjs", s.uri("/v1").toString(), image, schema)
                    .directory(DIR.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            assertEquals(0, p.exitValue(), out);
            JsonNode result = TestServer.JSON.readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
            assertEquals("stop", result.get("finish").asText(), out);
            var validator = com.networknt.schema.SchemaRegistry.withDefaultDialect(
                    com.networknt.schema.SpecificationVersion.DRAFT_2020_12).getSchema(TestServer.JSON.readTree(schema));
            assertEquals(List.of(), validator.validate(result.get("parsed")).stream().map(Object::toString).toList(), out);
            assertEquals(result.get("parsed"), result.get("streamed"));
        }
    }

    /**
     * Puts a script of src/test/node next to the client, installing the client on first use; skips
     * the test, saying why, where node or npm is missing.
     */
    private static void script(String name) throws IOException, InterruptedException {
        Assumptions.assumeTrue(runs(List.of("node", "--version"), Path.of(".")), "node is not installed: the npm client test is skipped");
        if (!Files.exists(DIR.resolve("node_modules/openai/package.json"))) {
            Files.createDirectories(DIR);
            Assumptions.assumeTrue(runs(List.of("npm", "install", "--no-audit", "--no-fund", "--silent", CLIENT), DIR),
                    "npm could not install " + CLIENT + ": the npm client test is skipped");
        }
        Files.copy(Path.of("src/test/node").resolve(name), DIR.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    private static boolean runs(List<String> command, Path dir) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
