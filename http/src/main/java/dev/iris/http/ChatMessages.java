package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ContentPart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads the {@code messages} of a chat request with the contract's rules for roles and parts (§4.5). */
final class ChatMessages {

    private static final Set<String> DETAILS = Set.of("auto", "low", "high");
    private static final Set<String> MODALITIES = Set.of("image", "multi-images", "video");

    private ChatMessages() {
    }

    /**
     * The messages, refused with a 400 past the server's limits on messages and content parts
     * before any is read.
     */
    static List<ChatMessage> parse(JsonNode body, MessageLimits limits) {
        JsonNode messages = body.get("messages");
        if (messages == null || messages.isNull()) {
            throw ApiError.badRequest("'messages' is required.", "messages");
        }
        if (!messages.isArray()) {
            throw Json.wrongType("messages", "a list of messages");
        }
        if (messages.isEmpty()) {
            throw ApiError.badRequest("'messages' must contain at least one message.", "messages");
        }
        if (messages.size() > limits.messages()) {
            throw ApiError.badRequest("A request may have at most " + limits.messages() + " messages, got "
                    + messages.size() + " (--max-messages).", "messages");
        }
        long parts = 0;
        for (JsonNode m : messages) {
            JsonNode content = m.get("content");
            parts += content != null && content.isArray() ? content.size() : 1;
        }
        if (parts > limits.parts()) {
            throw ApiError.badRequest("A request may have at most " + limits.parts() + " content parts over all its"
                    + " messages, got " + parts + " (--max-content-parts).", "messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            out.add(message(messages.get(i), "messages[" + i + "]"));
        }
        return out;
    }

    private static ChatMessage message(JsonNode m, String at) {
        if (!m.isObject()) {
            throw Json.wrongType(at, "an object");
        }
        String role = Json.string(m, "role", null);
        if (role == null) {
            throw ApiError.badRequest("'" + at + ".role' is required.", at + ".role");
        }
        JsonNode content = m.get("content");
        return switch (role) {
            case "system", "developer" -> new ChatMessage("system", List.of(new ContentPart.Text(systemText(content, at))));
            case "user" -> new ChatMessage("user", userParts(content, at));
            case "assistant" -> ChatMessage.text("assistant", assistantText(content, at));
            default -> throw ApiError.badRequest("Unknown role: " + role, at + ".role");
        };
    }

    private static String systemText(JsonNode content, String at) {
        if (content != null && content.isTextual()) {
            return content.asText();
        }
        if (content == null || !content.isArray()) {
            throw Json.wrongType(at + ".content", "a string or a list of text parts");
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < content.size(); i++) {
            ContentPart p = part(content.get(i), at + ".content[" + i + "]");
            if (!(p instanceof ContentPart.Text t)) {
                throw ApiError.badRequest("The system message should be a single text.", at + ".content");
            }
            text.append(t.text());
        }
        return text.toString();
    }

    private static String assistantText(JsonNode content, String at) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw Json.wrongType(at + ".content", "a string or a list of one text part");
        }
        if (content.size() != 1 || !(part(content.get(0), at + ".content[0]") instanceof ContentPart.Text t)) {
            throw ApiError.badRequest("The assistant's response should be a single text.", at + ".content");
        }
        return t.text();
    }

    private static List<ContentPart> userParts(JsonNode content, String at) {
        if (content != null && content.isTextual()) {
            return List.of(new ContentPart.Text(content.asText()));
        }
        if (content == null || !content.isArray()) {
            throw Json.wrongType(at + ".content", "a string or a list of content parts");
        }
        List<ContentPart> parts = new ArrayList<>();
        for (int i = 0; i < content.size(); i++) {
            parts.add(part(content.get(i), at + ".content[" + i + "]"));
        }
        return parts;
    }

    /** Per-image preprocessing settings a part may carry, beside {@code image_url} or inside it (Qwen's spelling). */
    private static final List<String> PIXEL_KEYS = List.of("min_pixels", "max_pixels");

    private static ContentPart part(JsonNode p, String at) {
        if (!p.isObject()) {
            throw Json.wrongType(at, "an object");
        }
        String type = Json.string(p, "type", null);
        if (type == null) {
            throw ApiError.badRequest("'" + at + ".type' is required.", at + ".type");
        }
        switch (type) {
            case "text" -> {
                if (!p.path("text").isTextual()) {
                    throw Json.wrongType(at + ".text", "a string");
                }
                return new ContentPart.Text(p.get("text").asText());
            }
            case "image_url" -> {
                JsonNode image = p.get("image_url");
                String url;
                String detail = null;
                if (image != null && image.isTextual()) {
                    url = image.asText();
                } else if (image != null && image.isObject()) {
                    url = Json.string(image, "url", null);
                    detail = Json.string(image, "detail", null);
                    if (detail != null && !DETAILS.contains(detail)) {
                        throw ApiError.badRequest("'" + at + ".image_url.detail' must be auto, low or high, got "
                                + detail + ".", at + ".image_url.detail");
                    }
                } else {
                    throw Json.wrongType(at + ".image_url", "an object with a url");
                }
                if (url == null || url.isEmpty()) {
                    throw ApiError.badRequest("'" + at + ".image_url.url' is required.", at + ".image_url.url");
                }
                String modality = Json.string(p, "modalities", null);
                if (modality != null && !MODALITIES.contains(modality)) {
                    throw ApiError.badRequest("'" + at + ".modalities' must be image, multi-images or video, got "
                            + modality + ".", at + ".modalities");
                }
                Map<String, Long> pixels = new LinkedHashMap<>();
                for (String key : PIXEL_KEYS) {
                    JsonNode v = p.has(key) ? p.get(key) : image.isObject() ? image.get(key) : null;
                    if (v != null && !v.isNull()) {
                        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 1) {
                            throw ApiError.badRequest("'" + at + "." + key + "' must be a positive integer.", at + "." + key);
                        }
                        pixels.put(key, v.asLong());
                    }
                }
                return new ContentPart.Image(url, detail, modality, pixels);
            }
            default -> throw ApiError.badRequest("Unknown content part type: " + type, at + ".type");
        }
    }
}
