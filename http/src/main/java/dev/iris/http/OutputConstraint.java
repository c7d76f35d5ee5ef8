package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iris.runtime.grammar.Constraints;
import dev.iris.runtime.grammar.GrammarConstraint;
import dev.iris.runtime.grammar.GrammarException;

import java.util.ArrayList;
import java.util.List;

/**
 * The grammar a request holds its output to, read as SGLang reads it: OpenAI's
 * {@code response_format} ({@code json_object}, {@code json_schema}) on the OpenAI endpoints, and
 * the {@code json_schema} (text), {@code regex} and {@code ebnf} fields there and in the native
 * {@code sampling_params}. At most one per request. A constraint that does not compile is a 400
 * naming the problem.
 */
final class OutputConstraint {

    private OutputConstraint() {
    }

    /** The constraint the fields of {@code o} ask for, or null for free text. */
    static GrammarConstraint read(JsonNode o, Constraints constraints) {
        List<String> asked = new ArrayList<>();
        for (String f : List.of("regex", "ebnf", "json_schema")) {
            if (!Json.absent(o, f)) {
                asked.add(f);
            }
        }
        JsonNode format = o.get("response_format");
        String type = null;
        if (format != null && !format.isNull()) {
            if (!format.isObject()) {
                throw Json.wrongType("response_format", "an object");
            }
            type = Json.string(format, "type", null);
            if (type == null || !List.of("text", "json_object", "json_schema", "structural_tag").contains(type)) {
                throw ApiError.badRequest("Unknown response_format type: " + type, "response_format");
            }
            if (type.equals("structural_tag")) {
                throw ApiError.badRequest("response_format type 'structural_tag' is not supported; use json_schema,"
                        + " regex or ebnf.", "response_format");
            }
            if (!type.equals("text")) {
                asked.add("response_format");
            }
        }
        if (asked.size() > 1) {
            throw ApiError.badRequest("Only one of regex, json_schema, ebnf or response_format can be set; the request"
                    + " sets " + String.join(" and ", asked) + ".", asked.get(1));
        }
        if (asked.isEmpty()) {
            return null;
        }
        String field = asked.getFirst();
        try {
            return switch (field) {
                case "regex" -> constraints.regex(text(o, "regex"));
                case "ebnf" -> constraints.ebnf(text(o, "ebnf"));
                case "json_schema" -> o.get("json_schema").isObject() ? constraints.jsonSchema(o.get("json_schema"))
                        : constraints.jsonSchema(text(o, "json_schema"));
                default -> responseFormat(format, type, constraints);
            };
        } catch (GrammarException e) {
            throw ApiError.badRequest("Invalid " + field + ": " + e.getMessage(), field);
        }
    }

    private static GrammarConstraint responseFormat(JsonNode format, String type, Constraints constraints) {
        if (type.equals("json_object")) {
            return constraints.jsonObject();
        }
        JsonNode spec = Json.objectField(format, "json_schema");
        if (spec == null || Json.absent(spec, "name")) {
            throw ApiError.badRequest("response_format.json_schema.name is required.", "response_format");
        }
        JsonNode schema = spec.get("schema");
        if (schema == null || schema.isNull()) {
            return constraints.jsonObject(); // OpenAI lets the schema out: any JSON object then
        }
        if (!schema.isObject() && !schema.isBoolean()) {
            throw Json.wrongType("response_format.json_schema.schema", "an object");
        }
        return constraints.jsonSchema(schema);
    }

    private static String text(JsonNode o, String field) {
        String s = Json.string(o, field, null);
        if (s.isEmpty() && !field.equals("regex")) {
            throw ApiError.badRequest(field + " is empty.", field);
        }
        return s;
    }
}
