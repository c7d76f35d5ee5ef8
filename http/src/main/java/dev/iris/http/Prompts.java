package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The prompts of a completions or native request: a string, a list of strings, a list of token
 * ids, or a list of such lists, each turned into token ids (strings with the BOS rule).
 */
final class Prompts {

    private Prompts() {
    }

    static List<int[]> read(JsonNode value, String field, ServedModel model) {
        if (value == null || value.isNull()) {
            throw ApiError.badRequest("'" + field + "' is required.", field);
        }
        List<int[]> out = new ArrayList<>();
        if (value.isTextual()) {
            out.add(text(value.asText(), field, model));
        } else if (value.isArray() && !value.isEmpty() && value.get(0).isIntegralNumber()) {
            out.add(ids(value, field));
        } else if (value.isArray() && !value.isEmpty()) {
            for (JsonNode item : value) {
                if (item.isTextual()) {
                    out.add(text(item.asText(), field, model));
                } else if (item.isArray()) {
                    out.add(ids(item, field));
                } else {
                    throw Json.wrongType(field, "a string, a list of strings or a list of token ids");
                }
            }
        } else {
            throw ApiError.badRequest("Input cannot be empty or contain only whitespace.", field);
        }
        return out;
    }

    private static int[] text(String text, String field, ServedModel model) {
        if (text.isBlank()) {
            throw ApiError.badRequest("Input cannot be empty or contain only whitespace.", field);
        }
        return model.encode(text);
    }

    private static int[] ids(JsonNode list, String field) {
        if (list.isEmpty()) {
            throw ApiError.badRequest("Input cannot be empty or contain only whitespace.", field);
        }
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode e = list.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt() || e.asInt() < 0) {
                throw Json.wrongType(field, "a list of non-negative token ids");
            }
            ids[i] = e.asInt();
        }
        return ids;
    }
}
