package dev.iris.runtime.kv;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Which pages of the K/V cache are free. Requests take pages as their sequences grow (through a
 * {@link PageTable}) and give them all back when they end; a request that cannot get pages is
 * told so and waits, nothing is partly taken. Thread-safe.
 */
public final class KvPagePool {

    private final int pageSize;
    private final int pages;
    private final ArrayDeque<Integer> free;

    /**
     * @param pageSize tokens per page ({@code --page-size}; any positive value)
     * @param pages    pages in the pool
     */
    public KvPagePool(int pageSize, int pages) {
        if (pageSize <= 0 || pages <= 0) {
            throw new IllegalArgumentException("page size and page count must be positive, got " + pageSize + " and " + pages);
        }
        this.pageSize = pageSize;
        this.pages = pages;
        this.free = new ArrayDeque<>(pages);
        for (int p = 0; p < pages; p++) {
            free.add(p);
        }
    }

    /**
     * Pages for a pool sized from {@code --max-total-tokens} when given (> 0), else from a memory
     * budget: {@code memFraction} of {@code availableBytes} over the bytes one page takes.
     *
     * @throws IllegalArgumentException when the budget does not hold a single page
     */
    public static int pagesFor(int pageSize, long bytesPerToken, int maxTotalTokens, double memFraction,
                               long availableBytes) {
        long count;
        if (maxTotalTokens > 0) {
            count = (maxTotalTokens + (long) pageSize - 1) / pageSize;
        } else {
            if (!(memFraction > 0 && memFraction <= 1)) {
                throw new IllegalArgumentException("mem fraction must be in (0, 1], got " + memFraction);
            }
            count = (long) (memFraction * availableBytes) / (bytesPerToken * pageSize);
        }
        if (count < 1) {
            throw new IllegalArgumentException("the KV budget does not hold one page of " + pageSize + " tokens ("
                    + bytesPerToken * pageSize + " bytes)");
        }
        return (int) Math.min(count, Integer.MAX_VALUE);
    }

    public int pageSize() {
        return pageSize;
    }

    /** Pages in the pool. */
    public int capacity() {
        return pages;
    }

    /** Tokens the pool holds when full. */
    public long tokenCapacity() {
        return (long) pages * pageSize;
    }

    /** Pages free now. */
    public synchronized int freePages() {
        return free.size();
    }

    /** Pages in use now. */
    public synchronized int usedPages() {
        return pages - free.size();
    }

    /** Pages needed to hold {@code tokens} tokens. */
    public int pagesFor(int tokens) {
        return (tokens + pageSize - 1) / pageSize;
    }

    /** Takes {@code n} pages, or none at all (null) when fewer are free. */
    synchronized int[] take(int n) {
        if (n > free.size()) {
            return null;
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = free.poll();
        }
        return out;
    }

    /** Returns pages to the pool. */
    synchronized void give(int[] returned, int count) {
        for (int i = 0; i < count; i++) {
            free.add(returned[i]);
        }
        if (free.size() > pages) {
            throw new IllegalStateException("more pages returned than taken: " + Arrays.toString(returned));
        }
    }

    /** A new, empty page table drawing on this pool. */
    public PageTable newTable() {
        return new PageTable(this);
    }
}
