package dev.iris.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Error bodies: on {@code /v1/*} the union of SGLang's flat body and OpenAI's nested one (both
 * clients find the message), elsewhere SGLang's native {@code {"error":{"message":…}}}.
 */
final class Errors {

    private Errors() {
    }

    static ObjectNode openAiBody(ApiError e) {
        ObjectNode body = Json.newObject();
        body.put("object", "error");
        fill(body, e);
        fill(body.putObject("error"), e);
        return body;
    }

    private static void fill(ObjectNode o, ApiError e) {
        o.put("message", e.getMessage());
        o.put("type", e.type());
        if (e.param() == null) {
            o.putNull("param");
        } else {
            o.put("param", e.param());
        }
        o.put("code", e.status());
    }

    /** The in-band event that ends an OpenAI stream failing after its 200: {@code {"error":{…}}}. */
    static ObjectNode openAiStreamEvent(Throwable failure) {
        ObjectNode event = Json.newObject();
        event.set("error", openAiBody(Generations.failure(failure)).get("error"));
        return event;
    }

    static ObjectNode nativeBody(ApiError e) {
        ObjectNode body = Json.newObject();
        body.putObject("error").put("message", e.getMessage());
        return body;
    }

    /** Answers with the error in the body family of the request's path. */
    static void send(ServerRequest req, ServerResponse res, ApiError e) {
        if (res.isSent()) {
            return;
        }
        boolean openAi = req.path().path().startsWith("/v1/");
        res.status(e.status());
        if (e.status() == 503) {
            res.header(HeaderNames.RETRY_AFTER, "1");
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.bytes(openAi ? openAiBody(e) : nativeBody(e)));
    }
}
