package dev.iris.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsed arguments in SGLang's style: {@code --name value} or {@code --name=value}, with
 * underscores and dashes interchangeable in names ({@code --plugins_dir} is {@code --plugins-dir}).
 * Flags listed as boolean take no value. Anything else is a positional argument.
 */
final class CommandLine {

    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    private CommandLine() {
    }

    /**
     * @param args         the arguments after the subcommand
     * @param valued       option names (dashed form, without {@code --}) that take a value
     * @param booleanFlags option names that take none
     * @throws UsageException for an unknown option or a missing value
     */
    static CommandLine parse(List<String> args, Set<String> valued, Set<String> booleanFlags) {
        CommandLine cl = new CommandLine();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--") || a.equals("--")) {
                cl.positional.add(a);
                continue;
            }
            int eq = a.indexOf('=');
            String name = (eq < 0 ? a.substring(2) : a.substring(2, eq)).replace('_', '-');
            if (booleanFlags.contains(name)) {
                cl.options.put(name, eq < 0 ? "true" : a.substring(eq + 1));
            } else if (valued.contains(name)) {
                if (eq >= 0) {
                    cl.options.put(name, a.substring(eq + 1));
                } else if (i + 1 < args.size()) {
                    cl.options.put(name, args.get(++i));
                } else {
                    throw new UsageException("--" + name + " needs a value");
                }
            } else {
                throw new UsageException("unknown option --" + name);
            }
        }
        return cl;
    }

    String get(String name, String fallback) {
        return options.getOrDefault(name, fallback);
    }

    boolean flag(String name) {
        return Boolean.parseBoolean(options.getOrDefault(name, "false"));
    }

    List<String> positional() {
        return List.copyOf(positional);
    }
}
