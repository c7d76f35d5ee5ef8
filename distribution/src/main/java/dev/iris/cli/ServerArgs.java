package dev.iris.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The parsed {@code iris serve} command line: typed values with SGLang's defaults, the refusals of
 * what Iris cannot honour, the warnings for flags that have no effect here, and the
 * {@code server_args=ServerArgs(...)} line SGLang logs at start.
 */
final class ServerArgs {

    /** R flags: the values Iris honours. */
    private static final Map<String, Set<String>> SUPPORTED = Map.of(
            "load-format", Set.of("auto", "safetensors", "gguf"),
            "kv-cache-dtype", Set.of("auto", "bf16", "bfloat16", "fp32", "float32"),
            "quantization", Set.of("q8_0", "q4_0"),
            "tp-size", Set.of("1"),
            "dp-size", Set.of("1"),
            "ep-size", Set.of("1"),
            "nnodes", Set.of("1"),
            "node-rank", Set.of("0"));

    private final CommandLine cl;

    private ServerArgs(CommandLine cl) {
        this.cl = cl;
    }

    /**
     * @throws UsageException for an unknown flag, a bad value, or a value Iris cannot honour
     */
    static ServerArgs parse(List<String> args) {
        ServerArgs a = new ServerArgs(CommandLine.parse(args, ServerFlags.ALL));
        if (!a.cl.positional().isEmpty()) {
            throw new UsageException("unrecognized arguments: " + String.join(" ", a.cl.positional()));
        }
        a.refuseUnsupported();
        return a;
    }

    private void refuseUnsupported() {
        for (Flag f : ServerFlags.ALL) {
            if (f.effect() != Flag.Effect.R || !cl.has(f.name())) {
                continue;
            }
            Set<String> ok = SUPPORTED.get(f.name());
            String value = f.type().many() ? String.join(" ", cl.list(f.name())) : cl.get(f.name());
            boolean supported = ok != null && ok.contains(value.trim().toLowerCase(Locale.ROOT));
            if (!supported && f.name().equals("dtype")) {
                continue; // checked against the checkpoint once its config is read
            }
            if (!supported) {
                throw new UsageException("--" + f.name() + (f.type() == Flag.Type.BOOL ? "" : " " + value)
                        + " is not supported by Iris (" + f.help() + ")");
            }
        }
    }

    /** Lines to log for flags set to a value that changes nothing here. */
    List<String> ignored() {
        List<String> out = new ArrayList<>();
        for (Flag f : ServerFlags.ALL) {
            if (f.effect() == Flag.Effect.N && cl.has(f.name()) && !isDefault(f)) {
                out.add("--" + f.name() + " is accepted for compatibility with SGLang and has no effect in Iris.");
            }
        }
        return out;
    }

    private boolean isDefault(Flag f) {
        if (f.type().many()) {
            return cl.list(f.name()).isEmpty();
        }
        String v = cl.get(f.name());
        if (f.type() == Flag.Type.BOOL) {
            return v == null;
        }
        if (v == null || v.equals(f.defaultValue())) {
            return true;
        }
        if (f.defaultValue() != null && (f.type() == Flag.Type.INT || f.type() == Flag.Type.FLOAT)) {
            return Double.parseDouble(v) == Double.parseDouble(f.defaultValue());
        }
        return false;
    }

    boolean help() {
        return cl.flag("help");
    }

    String string(String name) {
        String v = cl.get(name);
        return v != null ? v : flag(name).defaultValue();
    }

    /** An INT flag's value, or {@code fallback} when neither given nor defaulted. */
    int integer(String name, int fallback) {
        String v = string(name);
        return v == null ? fallback : Integer.parseInt(v.trim());
    }

    Long longValue(String name) {
        String v = string(name);
        return v == null ? null : Long.parseLong(v.trim());
    }

    double number(String name, double fallback) {
        String v = string(name);
        return v == null ? fallback : Double.parseDouble(v.trim());
    }

    boolean bool(String name) {
        return cl.flag(name);
    }

    List<String> list(String name) {
        return cl.list(name);
    }

    boolean given(String name) {
        return cl.has(name);
    }

    private static Flag flag(String name) {
        return ServerFlags.ALL.stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no flag --" + name));
    }

    /**
     * SGLang's start-up line: every flag in order, Python-style, with the values the server
     * resolved for those whose default depends on others.
     */
    String describe(Map<String, Object> resolved) {
        StringBuilder b = new StringBuilder("server_args=ServerArgs(");
        boolean first = true;
        for (Map.Entry<String, Object> e : values(resolved).entrySet()) {
            if (!first) {
                b.append(", ");
            }
            first = false;
            b.append(e.getKey()).append('=').append(python(e.getValue()));
        }
        return b.append(')').toString();
    }

    /**
     * Every server argument under its snake_case name (SGLang's {@code ServerArgs} fields), with
     * the values {@code resolved} settles (keyed by flag name) in place of the command line's:
     * what {@code /get_server_info} reports.
     */
    Map<String, Object> values(Map<String, Object> resolved) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (Flag f : ServerFlags.ALL) {
            if (!f.name().equals("help")) {
                out.put(f.field(), resolved.containsKey(f.name()) ? resolved.get(f.name()) : value(f));
            }
        }
        return out;
    }

    private Object value(Flag f) {
        return switch (f.type()) {
            case BOOL -> cl.flag(f.name());
            case LIST, APPEND -> cl.has(f.name()) ? cl.list(f.name()) : null;
            case INT -> string(f.name()) == null ? null : (Object) Long.parseLong(string(f.name()).trim());
            case FLOAT -> string(f.name()) == null ? null : (Object) Double.parseDouble(string(f.name()).trim());
            case STRING -> string(f.name());
        };
    }

    /** Python's repr of a value: None, True/False, numbers, quoted strings, lists. */
    static String python(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean bool) {
            return bool ? "True" : "False";
        }
        if (v instanceof Number) {
            return v.toString();
        }
        if (v instanceof List<?> list) {
            List<String> items = list.stream().map(ServerArgs::python).toList();
            return "[" + String.join(", ", items) + "]";
        }
        return "'" + v.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** {@code iris serve --help}: the flags Iris implements, then those it only accepts. */
    static String helpText() {
        StringBuilder b = new StringBuilder("""
                Usage: iris serve [--model-path DIR] [--chat-template NAME] [--host H] [--port P] [options]

                Serves a vision-language model behind SGLang's OpenAI-compatible API. Flags are SGLang's
                (--flag value or --flag=value, dashes or underscores, unambiguous prefixes).

                """);
        for (Flag f : ServerFlags.ALL) {
            if (f.effect() == Flag.Effect.E) {
                String name = "--" + f.name() + (f.type() == Flag.Type.BOOL ? "" : " " + f.type().name());
                b.append(String.format(Locale.ROOT, "  %-34s %s%s%n", name, f.help(),
                        f.defaultValue() == null || f.type() == Flag.Type.BOOL ? "" : " [" + f.defaultValue() + "]"));
            }
        }
        b.append("\nRefused unless at their defaults: ");
        b.append(String.join(", ", ServerFlags.ALL.stream().filter(f -> f.effect() == Flag.Effect.R)
                .map(f -> "--" + f.name()).toList()));
        b.append("\nAccepted for compatibility, no effect: ");
        b.append(String.join(", ", ServerFlags.ALL.stream().filter(f -> f.effect() == Flag.Effect.N)
                .map(f -> "--" + f.name()).toList()));
        return b.append('\n').toString();
    }
}
