package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.iris.runtime.engine.GenerationResult;

import java.util.List;
import java.util.Map;

/**
 * {@code --log-requests}: each generation request as received and as finished, on the logger
 * {@code dev.iris.http.requests}. Strings longer than {@value #MAX_STRING} characters (base64
 * images, long prompts) are cut so the log stays readable.
 */
final class RequestLog {

    private static final System.Logger LOG = System.getLogger("dev.iris.http.requests");
    /** Where a handler keeps its request's id in the request context, for lines written outside it. */
    static final String ID = "iris.request.id";
    private static final int MAX_STRING = 200;

    private final boolean on;

    RequestLog(boolean on) {
        this.on = on;
    }

    void received(String id, String path, JsonNode body) {
        if (on) {
            LOG.log(System.Logger.Level.INFO, "Receive: id=" + id + " " + path + " " + shortened(body));
        }
    }

    /** A request that ended early, with why: logged at info whatever {@code --log-requests} says. */
    void aborted(String id, String path, String why) {
        LOG.log(System.Logger.Level.INFO, "Abort: id=" + (id == null ? "(not yet assigned)" : id) + " " + path + ": " + why);
    }

    void finished(String id, List<GenerationResult> results) {
        if (!on) {
            return;
        }
        StringBuilder b = new StringBuilder("Finish: id=").append(id);
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            if (r == null) {
                continue;
            }
            b.append(" [").append(i).append("] prompt_tokens=").append(r.promptTokens()).append(" completion_tokens=")
                    .append(r.tokens().size()).append(" finish_reason=").append(r.finishReason()).append(" text=")
                    .append(shortened(TextNode.valueOf(r.text())));
        }
        LOG.log(System.Logger.Level.INFO, b.toString());
    }

    private static JsonNode shortened(JsonNode node) {
        if (node.isTextual() && node.asText().length() > MAX_STRING) {
            String s = node.asText();
            return TextNode.valueOf(s.substring(0, MAX_STRING) + "…(" + s.length() + " chars)");
        }
        if (node.isObject()) {
            ObjectNode copy = Json.newObject();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                copy.set(e.getKey(), shortened(e.getValue()));
            }
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = Json.newArray();
            node.forEach(e -> copy.add(shortened(e)));
            return copy;
        }
        return node;
    }
}
