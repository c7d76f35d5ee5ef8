package dev.iris.runtime.kv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How many tokens the K/V pool holds, and why. Without {@code --max-total-tokens} it is what the
 * requests can use — {@code --max-running-requests} sequences of the whole context — capped at
 * {@code --mem-fraction-static} of the memory that is actually free. Pages are backed with memory
 * only as they are written, so the budget is a ceiling, not an allocation.
 *
 * @param tokens tokens in the pool (whole pages)
 * @param pages  pages in the pool
 * @param reason the start-up line: the budget, what a token costs, and where the number came from
 */
public record KvBudget(long tokens, int pages, String reason) {

    /**
     * @param maxTotalTokens     {@code --max-total-tokens}, 0 when not given
     * @param maxRunningRequests {@code --max-running-requests}
     * @param contextLength      tokens one sequence may reach
     * @param memFraction        {@code --mem-fraction-static}
     * @param freeBytes          memory free for the K/V cache now ({@link #freeHostMemory()} or the device's)
     * @param bytesPerToken      what one token's keys and values take (all layers)
     * @param dtype              what they are stored as, for the line
     * @throws IllegalArgumentException when the budget does not hold one page
     */
    public static KvBudget of(int pageSize, int maxTotalTokens, int maxRunningRequests, int contextLength,
                              double memFraction, long freeBytes, long bytesPerToken, String dtype) {
        boolean fractionGiven = memFraction > 0 && memFraction <= 1;
        if (maxTotalTokens <= 0 && !fractionGiven) {
            throw new IllegalArgumentException("--mem-fraction-static must be in (0, 1], got " + memFraction);
        }
        long cap = fractionGiven ? (long) (memFraction * freeBytes) / bytesPerToken : Long.MAX_VALUE;
        long need = (long) maxRunningRequests * contextLength;
        long tokens;
        String why;
        if (maxTotalTokens > 0) {
            tokens = maxTotalTokens;
            why = "--max-total-tokens" + (tokens > cap ? String.format(Locale.ROOT,
                    " (more than the %,d that %s of the %s free would hold)", cap, memFraction, bytes(freeBytes)) : "");
        } else if (need <= cap) {
            tokens = need;
            why = String.format(Locale.ROOT, "%d running requests × %,d-token context", maxRunningRequests, contextLength);
        } else {
            tokens = cap;
            why = String.format(Locale.ROOT, "%d running requests × %,d-token context would need %,d; capped at"
                    + " --mem-fraction-static %s of %s free", maxRunningRequests, contextLength, need, memFraction,
                    bytes(freeBytes));
        }
        long pages = Math.min(tokens / pageSize, Integer.MAX_VALUE);
        if (pages < 1) {
            throw new IllegalArgumentException("the K/V budget does not hold one page of " + pageSize + " tokens ("
                    + bytes(bytesPerToken * pageSize) + "): " + bytes(freeBytes) + " free");
        }
        long pooled = pages * pageSize;
        String line = String.format(Locale.ROOT, "KV cache: %,d tokens of %s, %s per token, at most %s, backed as"
                + " used (%s).", pooled, dtype, bytes(bytesPerToken), bytes(pooled * bytesPerToken), why);
        return new KvBudget(pooled, (int) pages, line);
    }

    /**
     * Memory the K/V cache may take on the heap now: the heap's headroom, and no more than the
     * machine has available ({@code MemAvailable}) when that is known, since {@code -Xmx} may
     * exceed it.
     */
    public static long freeHostMemory() {
        Runtime rt = Runtime.getRuntime();
        long heap = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        long available = memAvailable();
        return available < 0 ? heap : Math.min(heap, available + rt.freeMemory());
    }

    /** Linux's {@code MemAvailable} in bytes, -1 where there is none. */
    private static long memAvailable() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the heap's headroom alone
        }
        return -1;
    }

    static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        }
        if (n >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
    }
}
