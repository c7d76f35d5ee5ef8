package dev.iris.runtime.kv;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Which pages of the K/V cache are free. Requests take pages as their sequences grow (through a
 * {@link PageTable}) and give them all back when they end; a request that cannot get pages is
 * told so and waits, nothing is partly taken. The lowest free pages are handed out first, so the
 * pages in use stay packed at the low end and a cache that backs pages with memory as they are
 * written can give back the high end when it empties. Thread-safe.
 */
public final class KvPagePool {

    private final int pageSize;
    private final int pages;
    /** Bit {@code p} set: page {@code p} is free. */
    private final BitSet free;
    private int freeCount;
    /** No free page lies below this one. */
    private int lowestFree;

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
        this.free = new BitSet(pages);
        free.set(0, pages);
        this.freeCount = pages;
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
        return freeCount;
    }

    /** Pages in use now. */
    public synchronized int usedPages() {
        return pages - freeCount;
    }

    /** Whether page {@code p} is free now. */
    public synchronized boolean isFree(int p) {
        return free.get(p);
    }

    /** Pages needed to hold {@code tokens} tokens. */
    public int pagesFor(int tokens) {
        return (tokens + pageSize - 1) / pageSize;
    }

    /** Takes the {@code n} lowest free pages, or none at all (null) when fewer are free. */
    synchronized int[] take(int n) {
        if (n > freeCount) {
            return null;
        }
        int[] out = new int[n];
        int p = lowestFree;
        for (int i = 0; i < n; i++) {
            p = free.nextSetBit(p);
            free.clear(p);
            out[i] = p++;
        }
        lowestFree = p;
        freeCount -= n;
        return out;
    }

    /** Returns pages to the pool. */
    synchronized void give(int[] returned, int count) {
        for (int i = 0; i < count; i++) {
            int p = returned[i];
            if (free.get(p)) {
                throw new IllegalStateException("page " + p + " returned twice: " + Arrays.toString(returned));
            }
            free.set(p);
            lowestFree = Math.min(lowestFree, p);
        }
        freeCount += count;
    }

    /** A new, empty page table drawing on this pool. */
    public PageTable newTable() {
        return new PageTable(this);
    }
}
