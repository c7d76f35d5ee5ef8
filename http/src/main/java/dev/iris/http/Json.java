package dev.iris.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading request bodies field by field with the contract's rules: unknown fields are ignored,
 * a missing or null field takes its default, a field of the wrong type is a 400 naming it.
 */
final class Json {

    /**
     * No string length cap of the parser's own: a long prompt or a data URL is bounded by the body
     * limit and then by the limit meant for it (context, image size), each with its own message.
     */
    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build());

    private Json() {
    }

    /** The request's body, refused with 413 past {@code max} bytes (whether or not a length was declared). */
    static byte[] body(io.helidon.webserver.http.ServerRequest req, long max) {
        try (java.io.InputStream in = req.content().inputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (bytes.length > max) {
                throw new ApiError(413, "The request body is larger than the limit of " + max + " bytes.", null);
            }
            return bytes;
        } catch (IOException e) {
            throw ApiError.badRequest("The request body could not be read: " + e.getMessage(), null);
        }
    }

    /** The body as a JSON object, whatever the Content-Type said. */
    static ObjectNode object(byte[] body) {
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (IOException e) {
            String detail = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw ApiError.badRequest("The request body is not valid JSON: " + detail, null);
        }
        if (node == null || !node.isObject()) {
            throw ApiError.badRequest("The request body must be a JSON object.", null);
        }
        return (ObjectNode) node;
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    static boolean absent(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull();
    }

    static String string(JsonNode o, String field, String fallback) {
        if (absent(o, field)) {
            return fallback;
        }
        JsonNode v = o.get(field);
        if (!v.isTextual()) {
            throw wrongType(field, "a string");
        }
        return v.asText();
    }

    static boolean bool(JsonNode o, String field, boolean fallback) {
        if (absent(o, field)) {
            return fallback;
        }
        JsonNode v = o.get(field);
        if (!v.isBoolean()) {
            throw wrongType(field, "a boolean");
        }
        return v.asBoolean();
    }

    static Integer integer(JsonNode o, String field, Integer fallback) {
        if (absent(o, field)) {
            return fallback;
        }
        JsonNode v = o.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw wrongType(field, "an integer");
        }
        return v.asInt();
    }

    static Long longInteger(JsonNode o, String field) {
        if (absent(o, field)) {
            return null;
        }
        JsonNode v = o.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw wrongType(field, "an integer");
        }
        return v.asLong();
    }

    static float number(JsonNode o, String field, float fallback) {
        if (absent(o, field)) {
            return fallback;
        }
        JsonNode v = o.get(field);
        if (!v.isNumber()) {
            throw wrongType(field, "a number");
        }
        return (float) v.asDouble();
    }

    /** A JSON value as plain Java: maps, lists, strings, numbers, booleans and null. */
    static Object plain(JsonNode v) {
        return MAPPER.convertValue(v, Object.class);
    }

    static ObjectNode objectField(JsonNode o, String field) {
        if (absent(o, field)) {
            return null;
        }
        JsonNode v = o.get(field);
        if (!v.isObject()) {
            throw wrongType(field, "an object");
        }
        return (ObjectNode) v;
    }

    /** A string or a list of strings (OpenAI's {@code stop}); empty strings are dropped. */
    static List<String> strings(JsonNode o, String field) {
        List<String> out = new ArrayList<>();
        if (absent(o, field)) {
            return out;
        }
        JsonNode v = o.get(field);
        if (v.isTextual()) {
            out.add(v.asText());
        } else if (v.isArray()) {
            for (JsonNode e : v) {
                if (!e.isTextual()) {
                    throw wrongType(field, "a string or a list of strings");
                }
                out.add(e.asText());
            }
        } else {
            throw wrongType(field, "a string or a list of strings");
        }
        out.removeIf(String::isEmpty);
        return out;
    }

    static List<Integer> integers(JsonNode o, String field) {
        List<Integer> out = new ArrayList<>();
        if (absent(o, field)) {
            return out;
        }
        JsonNode v = o.get(field);
        if (!v.isArray()) {
            throw wrongType(field, "a list of integers");
        }
        for (JsonNode e : v) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw wrongType(field, "a list of integers");
            }
            out.add(e.asInt());
        }
        return out;
    }

    static ObjectNode newObject() {
        return MAPPER.createObjectNode();
    }

    static ArrayNode newArray() {
        return MAPPER.createArrayNode();
    }

    static ApiError wrongType(String field, String what) {
        return ApiError.badRequest("'" + field + "' must be " + what + ".", field);
    }
}
