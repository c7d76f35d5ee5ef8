package dev.iris.cli;

import dev.iris.runtime.hub.HubDownloader;
import dev.iris.runtime.hub.HubSettings;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code iris download ORG/NAME}: fetches what serving the model needs into the Hugging Face cache
 * (so a later {@code iris serve --model-path ORG/NAME} starts without downloading, offline too).
 */
final class DownloadCommand {

    static final String HELP = """
            Usage: iris download ORG/NAME [--revision REV] [--download-dir DIR]

            Downloads a model's configs, tokenizer, processor and chat-template files and its safetensors
            weights from the Hugging Face Hub into the Hugging Face cache (HF_HUB_CACHE, HF_HOME/hub or
            ~/.cache/huggingface/hub), resuming broken transfers. Honours HF_ENDPOINT, HF_TOKEN and
            HF_HUB_OFFLINE. Prints the snapshot directory.
            """;

    private static final List<Flag> FLAGS = List.of(
            Flag.of("revision", Flag.Type.STRING, null, Flag.Effect.E, "branch, tag or commit"),
            Flag.of("download-dir", Flag.Type.STRING, null, Flag.Effect.E, "cache directory"),
            Flag.of("help", Flag.Type.BOOL, null, Flag.Effect.E, "this text"));

    private DownloadCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws IOException {
        CommandLine cl = CommandLine.parse(args, FLAGS);
        if (cl.flag("help")) {
            out.print(HELP);
            return 0;
        }
        if (cl.positional().size() != 1 || !HubDownloader.isRepoId(cl.positional().getFirst())) {
            throw new UsageException("iris download takes one Hugging Face repo id (org/name)");
        }
        out.println(fetch(cl.positional().getFirst(), cl.get("revision"), cl.get("download-dir"), err));
        return 0;
    }

    /** The repo's snapshot directory in the cache, downloading what it lacks, with a line of progress per file. */
    static Path fetch(String repo, String revision, String downloadDir, PrintStream err) throws IOException {
        HubSettings env = HubSettings.fromEnvironment();
        HubSettings settings = downloadDir == null ? env
                : new HubSettings(env.endpoint(), Path.of(downloadDir), env.token(), env.offline());
        err.println("Fetching " + repo + (revision == null ? "" : "@" + revision) + " from " + settings.endpoint()
                + (settings.offline() ? " (offline: cache only)" : "") + " into " + settings.cache());
        long[] lastPrinted = {0};
        HubDownloader hub = new HubDownloader(settings, (file, done, total) -> {
            long now = System.nanoTime();
            if (done == total || now - lastPrinted[0] > 2_000_000_000L) {
                lastPrinted[0] = now;
                err.println(String.format(Locale.ROOT, "  %s: %.1f of %s MiB", file, done / 1048576.0,
                        total < 0 ? "?" : String.format(Locale.ROOT, "%.1f", total / 1048576.0)));
            }
        });
        return hub.snapshot(repo, revision);
    }
}
