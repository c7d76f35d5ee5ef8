package dev.iris.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * The web playground: a chat page served from the jar at {@code /} (files under
 * {@code /playground/}). It talks to this server alone: its content security policy lets it load
 * and connect to nothing else, so a pasted image URL is fetched by the server, never by the page.
 * Served without the API key — the page holds no secret, and asks for the key itself.
 */
final class Playground {

    /** The page's files and their types; nothing else is served. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "markdown.js", "text/javascript; charset=utf-8",
            "style.css", "text/css; charset=utf-8");

    static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private Playground() {
    }

    /** Whether a request is for the playground's files (they need no API key). */
    static boolean isPage(String path) {
        return path.equals("/") || path.startsWith("/playground/");
    }

    static void index(ServerRequest req, ServerResponse res) throws IOException {
        send(res, "index.html");
    }

    static void file(ServerRequest req, ServerResponse res) throws IOException {
        String name = req.path().pathParameters().get("file");
        if (!FILES.containsKey(name)) {
            res.status(404);
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send("{\"detail\":\"Not Found\"}");
            return;
        }
        send(res, name);
    }

    private static void send(ServerResponse res, String name) throws IOException {
        byte[] body;
        try (InputStream in = Playground.class.getResourceAsStream("playground/" + name)) {
            if (in == null) {
                throw new IOException("the playground's " + name + " is missing from the jar");
            }
            body = in.readAllBytes();
        }
        res.header(HeaderNames.CONTENT_TYPE, FILES.get(name));
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header("Content-Security-Policy", POLICY);
        res.header("X-Content-Type-Options", "nosniff");
        res.header("Referrer-Policy", "no-referrer");
        res.send(body);
    }
}
