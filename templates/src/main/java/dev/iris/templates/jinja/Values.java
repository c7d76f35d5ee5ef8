package dev.iris.templates.jinja;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Python's view of the values a template handles (strings, longs, doubles, booleans, null for
 * {@code None}, lists, maps, {@link #UNDEFINED}): truth, equality, and {@code str()}.
 */
final class Values {

    /** An undefined variable or missing key: prints empty, is false, is not defined. */
    static final Object UNDEFINED = new Object() {
        @Override
        public String toString() {
            return "";
        }
    };

    private Values() {
    }

    static boolean truthy(Object v) {
        if (v == null || v == UNDEFINED) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Number n) {
            return n.doubleValue() != 0;
        }
        if (v instanceof CharSequence s) {
            return !s.isEmpty();
        }
        if (v instanceof Collection<?> c) {
            return !c.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    static boolean equal(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        if (a == UNDEFINED || b == UNDEFINED) {
            return a == b;
        }
        return a == null ? b == null : a.equals(b);
    }

    /** {@code str(v)} as Python prints it. */
    static String str(Object v) {
        if (v == UNDEFINED) {
            return "";
        }
        if (v instanceof String s) {
            return s;
        }
        return repr(v);
    }

    /** {@code repr(v)}: strings quoted, as inside a printed list or dict. */
    static String repr(Object v) {
        if (v == null) {
            return "None";
        }
        if (v == UNDEFINED) {
            return "";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof Double d) {
            return d == Math.rint(d) && !Double.isInfinite(d) ? String.valueOf(d.longValue()) + ".0" : d.toString();
        }
        if (v instanceof String s) {
            return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'";
        }
        if (v instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                b.append(i == 0 ? "" : ", ").append(repr(l.get(i)));
            }
            return b.append(']').toString();
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                first = false;
            }
            return b.append('}').toString();
        }
        return v.toString();
    }

    /** Python's {@code json.dumps(v, ensure_ascii=False, indent=indent)} (separators ", " and ": "). */
    static String json(Object v, Integer indent, int depth) {
        if (v == null || v == UNDEFINED) {
            return "null";
        }
        if (v instanceof Boolean b) {
            return b.toString();
        }
        if (v instanceof Number n) {
            return n instanceof Double d ? repr(d) : n.toString();
        }
        if (v instanceof String s) {
            StringBuilder b = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> b.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
                }
            }
            return b.append('"').toString();
        }
        String open = v instanceof Map<?, ?> ? "{" : "[";
        String close = v instanceof Map<?, ?> ? "}" : "]";
        List<String> items = new java.util.ArrayList<>();
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                items.add(json(str(e.getKey()), null, 0) + ": " + json(e.getValue(), indent, depth + 1));
            }
        } else if (v instanceof Collection<?> c) {
            for (Object o : c) {
                items.add(json(o, indent, depth + 1));
            }
        } else {
            return json(v.toString(), null, 0);
        }
        if (items.isEmpty()) {
            return open + close;
        }
        if (indent == null) {
            return open + String.join(", ", items) + close;
        }
        String inner = "\n" + " ".repeat(indent * (depth + 1));
        return open + inner + String.join("," + inner, items) + "\n" + " ".repeat(indent * depth) + close;
    }
}
