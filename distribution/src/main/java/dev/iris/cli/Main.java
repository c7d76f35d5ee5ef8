package dev.iris.cli;

import dev.iris.runtime.plugin.PluginConflictException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** Entry point of the {@code iris} launcher: dispatches to a subcommand. */
public final class Main {

    static final String HELP = """
            Usage: iris <command> [options]

            Commands:
              serve     serve a model behind SGLang's OpenAI-compatible API (the bundled demo model
                        when no --model-path is given)
              chat      talk to a model in the terminal, with images (--image PATH), no server
              download  fetch a model from the Hugging Face Hub into its cache
              plugins   list the plugins found (model families, chat templates, backends, samplers)
              help      show this text

            Run 'iris <command> --help' for a command's options.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out, System.err));
    }

    /** Runs a command; returns the exit status (0 ok, 1 failed, 2 bad command line). */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        Path home = Path.of(System.getProperty("iris.home", "."));
        String command = args.isEmpty() ? "help" : args.getFirst();
        List<String> rest = args.isEmpty() ? List.of() : args.subList(1, args.size());
        try {
            return switch (command) {
                case "serve" -> ServeCommand.run(rest, home, out, err);
                case "plugins" -> PluginsCommand.run(rest, home, out);
                case "chat" -> ChatCommand.run(rest, home, System.in, out, err);
                case "download" -> DownloadCommand.run(rest, out, err);
                case "help", "--help", "-h" -> {
                    out.print(HELP);
                    yield 0;
                }
                default -> throw new UsageException("unknown command '" + command + "'");
            };
        } catch (UsageException e) {
            err.println("iris: " + e.getMessage());
            err.println("Run 'iris help' for usage.");
            return 2;
        } catch (PluginConflictException | IOException e) {
            err.println("iris: " + e.getMessage());
            return 1;
        }
    }
}
