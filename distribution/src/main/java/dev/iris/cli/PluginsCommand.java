package dev.iris.cli;

import dev.iris.runtime.plugin.PluginHostType;
import dev.iris.runtime.plugin.PluginInfo;
import dev.iris.runtime.plugin.PluginProblem;
import dev.iris.runtime.plugin.PluginRegistry;
import dev.iris.runtime.plugin.PluginSettings;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** {@code iris plugins}: every discovered provider with its kind, name, module, version and jar. */
final class PluginsCommand {

    static final String HELP = """
            Usage: iris plugins [--plugins-dir DIR] [--plugin-host jpms|osgi]

            Lists every provider found on the module path (lib/) and in the plugins directory:
            kind, name, module, version and jar, then the jars that were skipped and why.

              --plugins-dir DIR        plugin jars to load (default: plugins/ next to bin/)
              --plugin-host jpms|osgi  load them as a JPMS module layer (default) or as
                                       bundles in an embedded Apache Felix framework
            """;

    private static final List<Flag> FLAGS = List.of(
            Flag.of("plugins-dir", Flag.Type.STRING, null, Flag.Effect.E, "plugin jars to load"),
            Flag.of("plugin-host", Flag.Type.STRING, "jpms", Flag.Effect.E, "jpms or osgi"),
            Flag.of("help", Flag.Type.BOOL, null, Flag.Effect.E, "this text"));

    private PluginsCommand() {
    }

    static int run(List<String> args, Path home, PrintStream out) throws IOException {
        CommandLine cl = CommandLine.parse(args, FLAGS);
        if (cl.flag("help")) {
            out.print(HELP);
            return 0;
        }
        if (!cl.positional().isEmpty()) {
            throw new UsageException("iris plugins takes no arguments, got " + cl.positional());
        }
        Path dir = Path.of(cl.get("plugins-dir", home.resolve("plugins").toString()));
        PluginHostType host;
        try {
            host = PluginHostType.parse(cl.get("plugin-host", "jpms"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        try (PluginRegistry registry = PluginRegistry.open(PluginSettings.of(dir, host))) {
            print(registry.all(), registry.problems(), host, dir, out);
        }
        return 0;
    }

    static void print(List<PluginInfo> plugins, List<PluginProblem> problems, PluginHostType host, Path dir,
                      PrintStream out) {
        String[] header = {"KIND", "NAME", "MODULE", "VERSION", "JAR"};
        int[] width = new int[header.length];
        for (int i = 0; i < header.length; i++) {
            width[i] = header[i].length();
        }
        List<String[]> rows = plugins.stream()
                .map(p -> new String[]{p.kind().label(), p.name(), p.module(), p.version(), p.location()})
                .toList();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        out.println(row(header, width));
        rows.forEach(r -> out.println(row(r, width)));
        out.printf("%d provider%s (plugin host: %s, plugins directory: %s)%n", plugins.size(),
                plugins.size() == 1 ? "" : "s", host.name().toLowerCase(java.util.Locale.ROOT), dir);
        for (PluginProblem p : problems) {
            out.println("skipped: " + p);
        }
    }

    private static String row(String[] cells, int[] width) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            sb.append(i == cells.length - 1 ? cells[i] : String.format("%-" + (width[i] + 2) + "s", cells[i]));
        }
        return sb.toString().stripTrailing();
    }
}
