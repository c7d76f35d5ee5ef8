package dev.iris.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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

    /**
     * The body as a JSON object, whatever the Content-Type said. The body must be well-formed
     * UTF-8 (no overlong forms, no surrogates), and what is wrong with it is said in our words.
     */
    static ObjectNode object(byte[] body) {
        checkUtf8(body);
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (IOException e) {
            throw ApiError.badRequest(notJson(e), null);
        }
        if (node == null || !node.isObject()) {
            throw ApiError.badRequest("The request body must be a JSON object.", null);
        }
        return (ObjectNode) node;
    }

    /** Rejects bytes that are not strict UTF-8, naming where they go wrong. */
    private static void checkUtf8(byte[] body) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(body);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult r = in.hasRemaining() ? utf8.decode(in, out, true) : utf8.flush(out);
            if (r.isError()) {
                throw ApiError.badRequest("The request body is not valid UTF-8 (at byte " + in.position() + ").", null);
            }
            if (!in.hasRemaining() && r.isUnderflow()) {
                return;
            }
            out.clear();
        }
    }

    /** Why a body is not JSON, with where, without the parser's own wording. */
    private static String notJson(IOException e) {
        String where = "";
        if (e instanceof JsonProcessingException j && j.getLocation() != null) {
            where = " (line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr() + ")";
        }
        if (e instanceof StreamConstraintsException c) {
            String m = String.valueOf(c.getOriginalMessage());
            String what = m.contains("nesting depth") ? "it nests arrays and objects too deeply"
                    : m.contains("Number value length") ? "it has a number with too many digits"
                    : m.contains("Name length") ? "it has a field name that is too long"
                    : "it is larger than this server parses";
            return "The request body cannot be read: " + what + where + ".";
        }
        if (e instanceof JsonEOFException) {
            return "The request body is not valid JSON: it ends early" + where + ".";
        }
        return "The request body is not valid JSON" + where + ".";
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

    /** The longest {@code model} a request may name. */
    static final int MAX_MODEL_NAME = 256;

    /** The request's {@code model} (echoed in the answer, so bounded), or the served name. */
    static String modelName(JsonNode o, String served) {
        String name = string(o, "model", served);
        if (name.length() > MAX_MODEL_NAME) {
            throw ApiError.badRequest("'model' must be at most " + MAX_MODEL_NAME + " characters, got " + name.length()
                    + ".", "model");
        }
        return name;
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

    /** A number field as a float: non-finite values (1e999) and ones beyond a float's range are refused. */
    static float number(JsonNode o, String field, float fallback) {
        if (absent(o, field)) {
            return fallback;
        }
        JsonNode v = o.get(field);
        if (!v.isNumber()) {
            throw wrongType(field, "a number");
        }
        float f = (float) v.asDouble();
        if (!Float.isFinite(f)) {
            throw wrongType(field, "a finite number");
        }
        return f;
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
