package dev.iris.runtime.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.config.ConfigException;
import dev.iris.api.config.ConfigView;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/** A {@link ConfigView} over a Jackson tree: how the runtime hands {@code config.json} and friends to plugins. */
public final class JsonConfigView implements ConfigView {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final JsonNode node;

    private JsonConfigView(String source, JsonNode node) {
        this.source = source;
        this.node = node;
    }

    /** The view of a JSON object file; a missing file gives an empty view when {@code optional}. */
    public static JsonConfigView read(Path file, boolean optional) throws IOException {
        if (optional && !Files.exists(file)) {
            return of(file.toString(), JSON.createObjectNode());
        }
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new IOException(file + ": not a JSON object");
        }
        return of(file.toString(), n);
    }

    /** A view with no keys (no overrides). */
    public static JsonConfigView empty(String source) {
        return of(source, JSON.createObjectNode());
    }

    /** The view of a JSON object given as text (tests, request overrides). */
    public static JsonConfigView parse(String source, String json) throws IOException {
        return of(source, JSON.readTree(json));
    }

    /**
     * This view with the top-level keys of a JSON object replaced or added (what
     * {@code --json-model-override-args} does to config.json).
     *
     * @throws IOException when {@code overridesJson} is not a JSON object
     */
    public JsonConfigView withOverrides(String what, String overridesJson) throws IOException {
        JsonNode overrides;
        try {
            overrides = JSON.readTree(overridesJson);
        } catch (IOException e) {
            throw new IOException(what + ": not valid JSON: " + e.getMessage(), e);
        }
        if (overrides == null || !overrides.isObject()) {
            throw new IOException(what + ": not a JSON object");
        }
        if (overrides.isEmpty()) {
            return this;
        }
        com.fasterxml.jackson.databind.node.ObjectNode merged = node.deepCopy();
        merged.setAll((com.fasterxml.jackson.databind.node.ObjectNode) overrides);
        return new JsonConfigView(source + " with " + what, merged);
    }

    static JsonConfigView of(String source, JsonNode node) {
        if (!node.isObject()) {
            throw new ConfigException(source + " is not a JSON object");
        }
        return new JsonConfigView(source, node);
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public Set<String> keys() {
        Set<String> keys = new LinkedHashSet<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    @Override
    public boolean has(String key) {
        return node.has(key) && !node.get(key).isNull();
    }

    private Optional<JsonNode> get(String key, Predicate<JsonNode> type, String typeName) {
        if (!has(key)) {
            return Optional.empty();
        }
        JsonNode v = node.get(key);
        if (!type.test(v)) {
            throw ConfigException.wrongType(source, key, typeName, v);
        }
        return Optional.of(v);
    }

    @Override
    public Optional<String> string(String key) {
        return get(key, JsonNode::isTextual, "string").map(JsonNode::asText);
    }

    @Override
    public Optional<Long> integer(String key) {
        return get(key, JsonConfigView::isIntegral, "integer").map(JsonNode::asLong);
    }

    @Override
    public Optional<Double> number(String key) {
        return get(key, JsonNode::isNumber, "number").map(JsonNode::asDouble);
    }

    @Override
    public Optional<Boolean> bool(String key) {
        return get(key, JsonNode::isBoolean, "boolean").map(JsonNode::asBoolean);
    }

    @Override
    public Optional<ConfigView> object(String key) {
        return get(key, JsonNode::isObject, "object").map(v -> of(source + "#" + key, v));
    }

    @Override
    public Optional<List<Long>> integers(String key) {
        return array(key, JsonConfigView::isIntegral, JsonNode::asLong, "integer");
    }

    @Override
    public Optional<List<Long>> integerOrIntegers(String key) {
        if (has(key) && !node.get(key).isArray()) {
            return integer(key).map(List::of);
        }
        return integers(key);
    }

    @Override
    public Optional<List<Double>> numbers(String key) {
        return array(key, JsonNode::isNumber, JsonNode::asDouble, "number");
    }

    @Override
    public Optional<List<String>> strings(String key) {
        return array(key, JsonNode::isTextual, JsonNode::asText, "string");
    }

    @Override
    public Optional<List<ConfigView>> objects(String key) {
        return array(key, JsonNode::isObject, v -> (ConfigView) of(source + "#" + key, v), "object");
    }

    @Override
    public Optional<List<List<Long>>> integerMatrix(String key) {
        return array(key, v -> v.isArray() && allMatch(v, JsonConfigView::isIntegral), v -> {
            List<Long> row = new ArrayList<>();
            v.forEach(e -> row.add(e.asLong()));
            return List.copyOf(row);
        }, "array of integers");
    }

    private <T> Optional<List<T>> array(String key, Predicate<JsonNode> element, Function<JsonNode, T> convert,
                                        String elementName) {
        return get(key, v -> v.isArray() && allMatch(v, element), "array of " + elementName + "s").map(v -> {
            List<T> out = new ArrayList<>();
            v.forEach(e -> out.add(convert.apply(e)));
            return List.copyOf(out);
        });
    }

    private static boolean allMatch(JsonNode array, Predicate<JsonNode> p) {
        for (JsonNode e : array) {
            if (!p.test(e)) {
                return false;
            }
        }
        return true;
    }

    /** Integers, and floats with no fractional part (configs write {@code 1e6} for 1000000). */
    private static boolean isIntegral(JsonNode v) {
        return v.isIntegralNumber() || (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()));
    }
}
