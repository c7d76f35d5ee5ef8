package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A chat request's {@code tools} and {@code tool_choice}: whether calls are looked for in the
 * answer ({@code auto}), left alone ({@code none}, or no tools), or forced — {@code required}
 * (one or more calls to any offered function) or {@code {"type":"function","function":{"name":…}}}
 * (a call to that one). {@code parallel_tool_calls: false} makes a forced {@code required} one call.
 */
record ToolChoice(Mode mode, List<ToolCallGrammar.Function> functions, boolean parallel) {

    enum Mode { NONE, AUTO, REQUIRED, NAMED }

    static ToolChoice read(JsonNode body) {
        JsonNode tools = body.get("tools");
        JsonNode choice = body.get("tool_choice");
        List<ToolCallGrammar.Function> offered = new ArrayList<>();
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) {
                throw Json.wrongType("tools", "an array");
            }
            for (JsonNode t : tools) {
                JsonNode f = t.get("function");
                if (f == null || !f.isObject() || !f.path("name").isTextual()) {
                    throw ApiError.badRequest("Each tool must be {\"type\": \"function\", \"function\": {\"name\": …}}.",
                            "tools");
                }
                JsonNode parameters = f.get("parameters");
                if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
                    throw ApiError.badRequest("The parameters of tool '" + f.get("name").asText()
                            + "' must be a JSON Schema object.", "tools");
                }
                offered.add(new ToolCallGrammar.Function(f.get("name").asText(), parameters));
            }
        }
        Mode mode;
        List<ToolCallGrammar.Function> functions = offered;
        if (choice == null || choice.isNull()) {
            mode = Mode.AUTO;
        } else if (choice.isTextual()) {
            mode = switch (choice.asText()) {
                case "none" -> Mode.NONE;
                case "auto" -> Mode.AUTO;
                case "required" -> Mode.REQUIRED;
                default -> throw ApiError.badRequest("tool_choice must be 'none', 'auto', 'required' or a function,"
                        + " got '" + choice.asText() + "'.", "tool_choice");
            };
        } else if (choice.isObject() && choice.path("function").path("name").isTextual()) {
            String name = choice.get("function").get("name").asText();
            functions = offered.stream().filter(f -> f.name().equals(name)).toList();
            if (functions.isEmpty()) {
                throw ApiError.badRequest("tool_choice names function '" + name + "', which is not among the tools.",
                        "tool_choice");
            }
            mode = Mode.NAMED;
        } else {
            throw ApiError.badRequest("tool_choice must be 'none', 'auto', 'required' or"
                    + " {\"type\": \"function\", \"function\": {\"name\": …}}.", "tool_choice");
        }
        if (offered.isEmpty()) {
            if (mode == Mode.REQUIRED) {
                throw ApiError.badRequest("tool_choice 'required' needs tools.", "tool_choice");
            }
            mode = Mode.NONE;
        }
        return new ToolChoice(mode, functions, Json.bool(body, "parallel_tool_calls", true));
    }

    /** Whether the answer is searched for calls. */
    boolean looksForCalls() {
        return mode != Mode.NONE;
    }

    /** Whether the answer must be calls. */
    boolean forced() {
        return mode == Mode.REQUIRED || mode == Mode.NAMED;
    }

    /** Whether one or more calls are forced (else exactly one). */
    boolean many() {
        return mode == Mode.REQUIRED && parallel;
    }

    String describe() {
        return mode == Mode.REQUIRED ? "required" : "function " + functions.getFirst().name();
    }
}
