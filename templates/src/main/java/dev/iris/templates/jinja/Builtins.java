package dev.iris.templates.jinja;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The filters, tests and Python methods chat templates call, with jinja2's and Python's meaning. */
final class Builtins {

    private Builtins() {
    }

    static Object filter(String name, Object v, List<Object> args, Map<String, Object> kwargs) {
        return switch (name) {
            case "trim" -> Values.str(v).strip();
            case "length", "count" -> (long) length(v);
            case "upper" -> Values.str(v).toUpperCase(Locale.ROOT);
            case "lower" -> Values.str(v).toLowerCase(Locale.ROOT);
            case "capitalize" -> capitalize(Values.str(v));
            case "title" -> title(Values.str(v));
            case "string" -> Values.str(v);
            case "int" -> v instanceof Number n ? (Object) n.longValue() : (Object) parseLong(Values.str(v));
            case "float" -> v instanceof Number n ? n.doubleValue() : Double.parseDouble(Values.str(v));
            case "list" -> Interpreter.iterate(v);
            case "first" -> {
                List<Object> l = Interpreter.iterate(v);
                yield l.isEmpty() ? Values.UNDEFINED : l.getFirst();
            }
            case "last" -> {
                List<Object> l = Interpreter.iterate(v);
                yield l.isEmpty() ? Values.UNDEFINED : l.getLast();
            }
            case "join" -> {
                String sep = args.isEmpty() ? "" : Values.str(args.getFirst());
                List<String> parts = new ArrayList<>();
                Interpreter.iterate(v).forEach(x -> parts.add(Values.str(x)));
                yield String.join(sep, parts);
            }
            case "default", "d" -> v == Values.UNDEFINED || (args.size() > 1 && Values.truthy(args.get(1)) && !Values.truthy(v))
                    ? (args.isEmpty() ? "" : args.getFirst()) : v;
            case "replace" -> Values.str(v).replace(Values.str(args.get(0)), Values.str(args.get(1)));
            case "tojson" -> Values.json(v, kwargs.get("indent") instanceof Number n ? n.intValue()
                    : args.isEmpty() ? null : ((Number) args.getFirst()).intValue(), 0);
            case "safe", "e", "escape" -> v;
            case "items" -> items(v);
            case "selectattr", "rejectattr" -> {
                boolean keep = name.equals("selectattr");
                String attr = Values.str(args.getFirst());
                List<Object> out = new ArrayList<>();
                for (Object item : Interpreter.iterate(v)) {
                    Object value = Interpreter.attribute(item, attr);
                    boolean pass = args.size() < 2 ? Values.truthy(value)
                            : test(Values.str(args.get(1)), value, args.subList(2, args.size()));
                    if (pass == keep) {
                        out.add(item);
                    }
                }
                yield out;
            }
            case "select", "reject" -> {
                boolean keep = name.equals("select");
                List<Object> out = new ArrayList<>();
                for (Object item : Interpreter.iterate(v)) {
                    boolean pass = args.isEmpty() ? Values.truthy(item)
                            : test(Values.str(args.getFirst()), item, args.subList(1, args.size()));
                    if (pass == keep) {
                        out.add(item);
                    }
                }
                yield out;
            }
            case "map" -> {
                List<Object> out = new ArrayList<>();
                for (Object item : Interpreter.iterate(v)) {
                    out.add(kwargs.containsKey("attribute") ? Interpreter.attribute(item, Values.str(kwargs.get("attribute")))
                            : filter(Values.str(args.getFirst()), item, args.subList(1, args.size()), Map.of()));
                }
                yield out;
            }
            default -> throw new TemplateException("unknown filter '" + name + "'");
        };
    }

    static boolean test(String name, Object v, List<Object> args) {
        return switch (name) {
            case "defined" -> v != Values.UNDEFINED;
            case "undefined" -> v == Values.UNDEFINED;
            case "none" -> v == null;
            case "string" -> v instanceof String;
            case "number" -> v instanceof Number;
            case "integer" -> v instanceof Long || v instanceof Integer;
            case "float" -> v instanceof Double;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "mapping" -> v instanceof Map<?, ?>;
            case "sequence" -> v instanceof List<?> || v instanceof String;
            case "iterable" -> v instanceof Collection<?> || v instanceof Map<?, ?> || v instanceof String;
            case "callable" -> v instanceof Interpreter.Function2;
            case "equalto", "eq", "==", "sameas" -> Values.equal(v, args.getFirst());
            case "ne", "!=" -> !Values.equal(v, args.getFirst());
            case "in" -> Interpreter.contains(args.getFirst(), v);
            case "odd" -> v instanceof Number n && n.longValue() % 2 != 0;
            case "even" -> v instanceof Number n && n.longValue() % 2 == 0;
            case "divisibleby" -> v instanceof Number n && n.longValue() % ((Number) args.getFirst()).longValue() == 0;
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT));
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT));
            default -> throw new TemplateException("unknown test '" + name + "'");
        };
    }

    /** Methods of Python's str, dict and list that templates call. */
    static Object method(Object target, String name, List<Object> args) {
        if (target instanceof String s) {
            return switch (name) {
                case "upper" -> s.toUpperCase(Locale.ROOT);
                case "lower" -> s.toLowerCase(Locale.ROOT);
                case "strip" -> args.isEmpty() ? s.strip() : strip(s, Values.str(args.getFirst()), true, true);
                case "lstrip" -> args.isEmpty() ? s.stripLeading() : strip(s, Values.str(args.getFirst()), true, false);
                case "rstrip" -> args.isEmpty() ? s.stripTrailing() : strip(s, Values.str(args.getFirst()), false, true);
                case "startswith" -> s.startsWith(Values.str(args.getFirst()));
                case "endswith" -> s.endsWith(Values.str(args.getFirst()));
                case "split" -> split(s, args.isEmpty() || args.getFirst() == null ? null : Values.str(args.getFirst()));
                case "replace" -> s.replace(Values.str(args.get(0)), Values.str(args.get(1)));
                case "title" -> title(s);
                case "capitalize" -> capitalize(s);
                case "find" -> (long) s.indexOf(Values.str(args.getFirst()));
                case "count" -> (long) (s.isEmpty() ? 0 : s.split(java.util.regex.Pattern.quote(Values.str(args.getFirst())), -1).length - 1);
                case "format" -> String.format(s.replace("{}", "%s"), args.stream().map(Values::str).toArray());
                default -> throw new TemplateException("str has no method '" + name + "'");
            };
        }
        if (target instanceof Map<?, ?> m) {
            return switch (name) {
                case "get" -> {
                    Object k = args.getFirst();
                    yield m.containsKey(k) ? m.get(k) : (args.size() > 1 ? args.get(1) : null);
                }
                case "items" -> items(m);
                case "keys" -> new ArrayList<>(m.keySet());
                case "values" -> new ArrayList<>(m.values());
                default -> throw new TemplateException("dict has no method '" + name + "'");
            };
        }
        throw new TemplateException(Values.repr(target) + " has no method '" + name + "'");
    }

    private static List<Object> items(Object v) {
        List<Object> out = new ArrayList<>();
        if (v instanceof Map<?, ?> m) {
            m.forEach((k, x) -> out.add(List.of(k, x == null ? Values.UNDEFINED : x)));
        }
        return out;
    }

    private static int length(Object v) {
        if (v instanceof String s) {
            return s.codePointCount(0, s.length());
        }
        if (v instanceof Collection<?> c) {
            return c.size();
        }
        if (v instanceof Map<?, ?> m) {
            return m.size();
        }
        return 0;
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String strip(String s, String chars, boolean left, boolean right) {
        int a = 0;
        int b = s.length();
        while (left && a < b && chars.indexOf(s.charAt(a)) >= 0) {
            a++;
        }
        while (right && b > a && chars.indexOf(s.charAt(b - 1)) >= 0) {
            b--;
        }
        return s.substring(a, b);
    }

    private static List<Object> split(String s, String sep) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            for (String part : s.strip().split("\\s+")) {
                if (!part.isEmpty()) {
                    out.add(part);
                }
            }
            return out;
        }
        int from = 0;
        for (int i = s.indexOf(sep); i >= 0; i = s.indexOf(sep, from)) {
            out.add(s.substring(from, i));
            from = i + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder();
        boolean start = true;
        for (char c : s.toCharArray()) {
            b.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetter(c);
        }
        return b.toString();
    }
}
