package dev.iris.cli;

import dev.iris.runtime.weights.LoadProgress;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The weight-loading progress bar, in the words of SGLang's loader: redrawn in place on a
 * terminal, one line per shard otherwise (a log file should not fill with carriage returns).
 */
final class LoadBar implements LoadProgress {

    private static final int WIDTH = 30;

    private final PrintStream err;
    private final boolean terminal;
    private final long start = System.nanoTime();

    LoadBar(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    @Override
    public void update(int filesDone, int filesTotal, long bytesDone, long bytesTotal) {
        double share = bytesTotal == 0 ? 1 : (double) bytesDone / bytesTotal;
        int filled = (int) Math.round(share * WIDTH);
        String line = String.format(Locale.ROOT, "Loading safetensors checkpoint shards: %3d%% Completed |%s%s| %d/%d "
                        + "[%.1fs, %s of %s]", Math.round(share * 100), "#".repeat(filled), " ".repeat(WIDTH - filled),
                filesDone, filesTotal, (System.nanoTime() - start) / 1e9, size(bytesDone), size(bytesTotal));
        if (terminal) {
            err.print("\r" + line + (filesDone == filesTotal ? "\n" : ""));
        } else {
            err.println(line);
        }
        err.flush();
    }

    private static String size(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
}
