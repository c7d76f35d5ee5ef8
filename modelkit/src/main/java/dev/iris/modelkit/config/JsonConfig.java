package dev.iris.modelkit.config;

import dev.iris.api.config.ConfigException;
import dev.iris.api.config.ConfigView;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A {@link ConfigView} over a JSON object that a plugin reads itself (a file the runtime does not
 * hand over, such as a LLaVA vision tower's own {@code config.json}), or a built-in one given as
 * text. Plugins have no JSON library; this strict RFC 8259 reader is enough for config files.
 * Type errors read like the runtime's: {@code <source>: '<key>' is not an integer (got …)}.
 */
public final class JsonConfig implements ConfigView {

    private final String source;
    private final Map<String, Object> values;

    private JsonConfig(String source, Map<String, Object> values) {
        this.source = source;
        this.values = values;
    }

    /** The view of a JSON object file. */
    public static ConfigView read(Path file) throws IOException {
        try {
            return parse(file.toString(), Files.readString(file));
        } catch (ConfigException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * The view of a JSON object given as text.
     *
     * @throws ConfigException naming {@code source} when the text is not one JSON object
     */
    public static ConfigView parse(String source, String json) {
        Parser p = new Parser(source, json);
        p.space();
        Object value = p.value();
        p.space();
        if (p.at < json.length()) {
            throw p.error("unexpected text after the value");
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new ConfigException(source + " is not a JSON object");
        }
        return new JsonConfig(source, cast(map));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public Set<String> keys() {
        return Collections.unmodifiableSet(values.keySet());
    }

    @Override
    public boolean has(String key) {
        return values.get(key) != null;
    }

    private <T> Optional<T> get(String key, Predicate<Object> type, Function<Object, T> convert, String typeName) {
        Object v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!type.test(v)) {
            throw ConfigException.wrongType(source, key, typeName, v);
        }
        return Optional.of(convert.apply(v));
    }

    /** Integers, and floats with no fractional part (configs write {@code 1e6} for 1000000). */
    private static boolean isIntegral(Object v) {
        return v instanceof Long || v instanceof Double d && d == Math.rint(d) && !d.isInfinite();
    }

    private static long asLong(Object v) {
        return v instanceof Long l ? l : (long) (double) (Double) v;
    }

    private static double asDouble(Object v) {
        return ((Number) v).doubleValue();
    }

    @Override
    public Optional<String> string(String key) {
        return get(key, v -> v instanceof String, String.class::cast, "string");
    }

    @Override
    public Optional<Long> integer(String key) {
        return get(key, JsonConfig::isIntegral, JsonConfig::asLong, "integer");
    }

    @Override
    public Optional<Double> number(String key) {
        return get(key, v -> v instanceof Number, JsonConfig::asDouble, "number");
    }

    @Override
    public Optional<Boolean> bool(String key) {
        return get(key, v -> v instanceof Boolean, Boolean.class::cast, "boolean");
    }

    @Override
    public Optional<ConfigView> object(String key) {
        return get(key, v -> v instanceof Map, v -> new JsonConfig(source + "#" + key, cast((Map<?, ?>) v)), "object");
    }

    @Override
    public Optional<List<Long>> integers(String key) {
        return array(key, JsonConfig::isIntegral, JsonConfig::asLong, "integer");
    }

    @Override
    public Optional<List<Long>> integerOrIntegers(String key) {
        return values.get(key) instanceof List ? integers(key) : integer(key).map(List::of);
    }

    @Override
    public Optional<List<Double>> numbers(String key) {
        return array(key, v -> v instanceof Number, JsonConfig::asDouble, "number");
    }

    @Override
    public Optional<List<String>> strings(String key) {
        return array(key, v -> v instanceof String, String.class::cast, "string");
    }

    @Override
    public Optional<List<ConfigView>> objects(String key) {
        return array(key, v -> v instanceof Map, v -> new JsonConfig(source + "#" + key, cast((Map<?, ?>) v)), "object");
    }

    @Override
    public Optional<List<List<Long>>> integerMatrix(String key) {
        return array(key, v -> v instanceof List<?> row && row.stream().allMatch(JsonConfig::isIntegral),
                v -> ((List<?>) v).stream().map(JsonConfig::asLong).toList(), "array of integer");
    }

    private <T> Optional<List<T>> array(String key, Predicate<Object> element, Function<Object, T> convert,
                                        String elementName) {
        return get(key, v -> v instanceof List<?> l && l.stream().allMatch(e -> e != null && element.test(e)),
                v -> ((List<?>) v).stream().map(convert).toList(), "array of " + elementName + "s");
    }

    /** Recursive descent over the text; objects keep their key order, JSON null is Java null. */
    private static final class Parser {
        private final String source;
        private final String text;
        private int at;

        Parser(String source, String text) {
            this.source = source;
            this.text = text;
        }

        ConfigException error(String what) {
            return new ConfigException(source + ": not valid JSON at character " + at + ": " + what);
        }

        void space() {
            while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
        }

        char peek() {
            if (at >= text.length()) {
                throw error("unexpected end");
            }
            return text.charAt(at);
        }

        void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            at++;
        }

        Object value() {
            char c = peek();
            return switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> number();
            };
        }

        Object literal(String word, Object value) {
            if (!text.startsWith(word, at)) {
                throw error("unexpected character '" + text.charAt(at) + "'");
            }
            at += word.length();
            return value;
        }

        Map<String, Object> object() {
            expect('{');
            Map<String, Object> map = new LinkedHashMap<>();
            space();
            if (peek() == '}') {
                at++;
                return map;
            }
            while (true) {
                space();
                String key = string();
                space();
                expect(':');
                space();
                map.put(key, value());
                space();
                if (peek() == '}') {
                    at++;
                    return map;
                }
                expect(',');
            }
        }

        List<Object> array() {
            expect('[');
            List<Object> list = new ArrayList<>();
            space();
            if (peek() == ']') {
                at++;
                return list;
            }
            while (true) {
                space();
                list.add(value());
                space();
                if (peek() == ']') {
                    at++;
                    return list;
                }
                expect(',');
            }
        }

        String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = peek();
                at++;
                if (c == '"') {
                    return out.toString();
                }
                if (c < 0x20) {
                    throw error("control character in a string");
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = peek();
                at++;
                switch (e) {
                    case '"', '\\', '/' -> out.append(e);
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (at + 4 > text.length()) {
                            throw error("short \\u escape");
                        }
                        try {
                            out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw error("bad \\u escape");
                        }
                        at += 4;
                    }
                    default -> throw error("bad escape '\\" + e + "'");
                }
            }
        }

        Object number() {
            int start = at;
            boolean integral = true;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
                integral &= Character.isDigit(text.charAt(at)) || text.charAt(at) == '-';
                at++;
            }
            String s = text.substring(start, at);
            if (!s.matches("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?")) {
                at = start;
                throw error(s.isEmpty() ? "unexpected character '" + text.charAt(at) + "'" : "bad number '" + s + "'");
            }
            if (integral) {
                try {
                    return Long.parseLong(s);
                } catch (NumberFormatException tooLong) {
                    return Double.parseDouble(s);
                }
            }
            return Double.parseDouble(s);
        }
    }
}
