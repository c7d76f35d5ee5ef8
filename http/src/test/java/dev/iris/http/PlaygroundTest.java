package dev.iris.http;

import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The playground's files over HTTP (the browser tests, PlaygroundIT, drive the page itself): the
 * page and its scripts come with a policy that lets them reach this server only, need no API key
 * (the page asks for it), and {@code --disable-playground} leaves {@code /} a 404.
 */
class PlaygroundTest {

    @Test
    void thePageAndItsFilesAreServedWithAPolicyThatKeepsThemOnThisServer() throws Exception {
        try (TestServer s = new TestServer()) {
            HttpResponse<String> page = s.get("/");
            assertEquals(200, page.statusCode());
            assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
            assertEquals(Playground.POLICY, page.headers().firstValue("content-security-policy").orElse(""));
            assertTrue(page.body().contains("<script src=\"/playground/app.js\" defer></script>"), page.body());
            for (String file : new String[]{"app.js", "markdown.js", "style.css"}) {
                HttpResponse<String> r = s.get("/playground/" + file);
                assertEquals(200, r.statusCode(), file);
                assertTrue(r.body().length() > 500, file);
            }
            assertEquals(404, s.get("/playground/../ServedModel.class").statusCode());
            assertEquals(404, s.get("/playground/secret.txt").statusCode());
        }
    }

    @Test
    void withAnApiKeyThePageNeedsNoKeyButTheApiDoes() throws Exception {
        try (TestServer s = new TestServer(ServerOptions.DEFAULTS.withApiKey("sesame"),
                new dev.iris.runtime.engine.EngineOptions(4, 2048, 0, true, 16, 64))) {
            assertEquals(200, s.get("/").statusCode());
            assertEquals(200, s.get("/playground/app.js").statusCode());
            assertEquals(401, s.get("/v1/models").statusCode());
            assertEquals(200, s.get("/v1/models", "Authorization", "Bearer sesame").statusCode());
        }
    }

    @Test
    void disablingThePlaygroundLeavesTheRootUnserved() throws Exception {
        try (TestServer s = new TestServer(ServerOptions.DEFAULTS.withPlayground(false),
                new dev.iris.runtime.engine.EngineOptions(4, 2048, 0, true, 16, 64))) {
            assertEquals(404, s.get("/").statusCode());
            assertEquals(404, s.get("/playground/app.js").statusCode());
        }
    }
}
