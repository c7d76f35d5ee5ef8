package dev.iris.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Arguments parsed the way SGLang's argparse parser takes them: {@code --name value} or
 * {@code --name=value}, dashes and underscores interchangeable, any unambiguous prefix of a long
 * name ({@code --model} for {@code --model-path}), aliases, flags without values, list options
 * that take every value up to the next option or may be repeated. Anything not starting with
 * {@code --} before the first option is positional.
 */
final class CommandLine {

    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, List<String>> lists = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    private CommandLine() {
    }

    /**
     * @throws UsageException for an unknown or ambiguous option, a missing value or a value of the wrong type
     */
    static CommandLine parse(List<String> args, List<Flag> flags) {
        Map<String, Flag> byName = new HashMap<>();
        for (Flag f : flags) {
            byName.put(f.name(), f);
            f.aliases().forEach(a -> byName.put(a, f));
        }
        CommandLine cl = new CommandLine();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--") || a.equals("--")) {
                cl.positional.add(a);
                continue;
            }
            int eq = a.indexOf('=');
            String given = (eq < 0 ? a.substring(2) : a.substring(2, eq)).replace('_', '-');
            Flag f = resolve(given, byName);
            String inline = eq < 0 ? null : a.substring(eq + 1);
            switch (f.type()) {
                case BOOL -> {
                    if (inline != null) {
                        throw new UsageException("argument --" + f.name() + ": ignored explicit argument '" + inline + "'");
                    }
                    cl.values.put(f.name(), "true");
                }
                case LIST -> {
                    List<String> list = cl.lists.computeIfAbsent(f.name(), k -> new ArrayList<>());
                    if (inline != null) {
                        list.add(inline);
                    } else {
                        int before = list.size();
                        while (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                            list.add(args.get(++i));
                        }
                        if (list.size() == before) {
                            throw new UsageException("argument --" + f.name() + ": expected at least one argument");
                        }
                    }
                }
                case APPEND -> {
                    if (inline == null && i + 1 >= args.size()) {
                        throw new UsageException("argument --" + f.name() + ": expected one argument");
                    }
                    cl.lists.computeIfAbsent(f.name(), k -> new ArrayList<>()).add(inline != null ? inline : args.get(++i));
                }
                default -> {
                    String v = inline;
                    if (v == null) {
                        if (i + 1 >= args.size()) {
                            throw new UsageException("argument --" + f.name() + ": expected one argument");
                        }
                        v = args.get(++i);
                    }
                    check(f, v);
                    cl.values.put(f.name(), v);
                }
            }
        }
        return cl;
    }

    /** An exact name or alias, else the one option that the given text begins (argparse's allow_abbrev). */
    private static Flag resolve(String given, Map<String, Flag> byName) {
        Flag exact = byName.get(given);
        if (exact != null) {
            return exact;
        }
        Set<String> matches = new TreeSet<>();
        Flag found = null;
        for (Map.Entry<String, Flag> e : byName.entrySet()) {
            if (e.getKey().startsWith(given)) {
                matches.add("--" + e.getKey());
                if (found != null && found != e.getValue()) {
                    throw new UsageException("ambiguous option: --" + given + " could match "
                            + String.join(", ", matches) + matchesRest(given, byName, matches));
                }
                found = e.getValue();
            }
        }
        if (found == null || given.isEmpty()) {
            throw new UsageException("unrecognized arguments: --" + given);
        }
        return found;
    }

    private static String matchesRest(String given, Map<String, Flag> byName, Set<String> seen) {
        StringBuilder rest = new StringBuilder();
        byName.keySet().stream().filter(k -> k.startsWith(given) && !seen.contains("--" + k)).sorted()
                .forEach(k -> rest.append(", --").append(k));
        return rest.toString();
    }

    private static void check(Flag f, String v) {
        try {
            switch (f.type()) {
                case INT -> Integer.parseInt(v.trim());
                case FLOAT -> Double.parseDouble(v.trim());
                default -> {
                }
            }
        } catch (NumberFormatException e) {
            throw new UsageException("argument --" + f.name() + ": invalid " + f.type().name().toLowerCase(Locale.ROOT)
                    + " value: '" + v + "'");
        }
    }

    /** The value given, or null. */
    String get(String name) {
        return values.get(name);
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    boolean has(String name) {
        return values.containsKey(name) || lists.containsKey(name);
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    /** Every value of a list option, in order; empty when absent. */
    List<String> list(String name) {
        return List.copyOf(lists.getOrDefault(name, List.of()));
    }

    List<String> positional() {
        return List.copyOf(positional);
    }
}
