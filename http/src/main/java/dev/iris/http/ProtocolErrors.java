package dev.iris.http;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.DirectHandlers;

/**
 * Answers to requests that never reach a handler — malformed HTTP, HTTP/1.0, headers or bodies
 * that do not arrive in time — as JSON error bodies in the OpenAI shape, in our words, instead of
 * Helidon's empty ones. The connection is closed after them.
 */
final class ProtocolErrors {

    private ProtocolErrors() {
    }

    static DirectHandlers handlers() {
        DirectHandler json = (request, type, status, headers, message) -> {
            String text = switch (status.code()) {
                case 505 -> "HTTP/1.0 is not supported: send the request as HTTP/1.1 (e.g. curl --http1.1).";
                case 408 -> message != null && !message.isBlank() ? message : "The request did not arrive in time.";
                case 414 -> "The request line is longer than this server accepts.";
                case 413 -> "The request is larger than this server accepts.";
                default -> message == null || message.isBlank() || message.startsWith("Bad request, see server log")
                        ? "Malformed HTTP request." : "Malformed HTTP request: " + message;
            };
            headers.set(HeaderNames.CONTENT_TYPE, "application/json");
            byte[] body = Json.bytes(Errors.openAiBody(new ApiError(status.code(), text, null)));
            return DirectHandler.TransportResponse.builder().status(status).headers(headers).entity(body).build();
        };
        DirectHandlers.Builder handlers = DirectHandlers.builder();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            handlers.addHandler(type, json);
        }
        return handlers.build();
    }
}
