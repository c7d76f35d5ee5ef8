package dev.iris.runtime.kv;

import java.util.Arrays;

/**
 * One sequence's pages, in token order: token {@code t} lives in page {@code pages()[t / pageSize]}.
 * Grows as the sequence does; {@link #close()} gives every page back at once (request finished,
 * cancelled or retracted). Used by one scheduler thread at a time.
 */
public final class PageTable implements AutoCloseable {

    private final KvPagePool pool;
    private int[] pages = new int[0];
    private int count;
    /** Leading pages borrowed from the prefix cache: not returned to the pool by this table. */
    private int shared;

    PageTable(KvPagePool pool) {
        this.pool = pool;
    }

    /**
     * Makes room for {@code tokens} tokens in total, taking pages as needed.
     *
     * @return false (and takes nothing) when the pool has too few free pages
     */
    public boolean ensureCapacity(int tokens) {
        int needed = pool.pagesFor(tokens) - count;
        if (needed <= 0) {
            return true;
        }
        int[] got = pool.take(needed);
        if (got == null) {
            return false;
        }
        if (count + needed > pages.length) {
            pages = Arrays.copyOf(pages, Math.max(count + needed, pages.length * 2));
        }
        System.arraycopy(got, 0, pages, count, needed);
        count += needed;
        return true;
    }

    /** Starts an empty table with pages borrowed from the prefix cache (tokens already computed). */
    public void borrow(int[] cached) {
        if (count != 0) {
            throw new IllegalStateException("borrow before taking any page");
        }
        pages = Arrays.copyOf(cached, Math.max(cached.length, 4));
        count = cached.length;
        shared = cached.length;
    }

    /**
     * Ends the table when its first {@code keep} pages now belong to the prefix cache: its own
     * pages after those go back to the pool, and the table is empty afterwards.
     */
    public void detach(int keep) {
        int from = Math.max(keep, shared);
        if (count > from) {
            pool.give(Arrays.copyOfRange(pages, from, count), count - from);
        }
        count = 0;
        shared = 0;
    }

    /** The page ids, in token order (a copy, for {@link dev.iris.api.attention.AttentionSequence}). */
    public int[] pages() {
        return Arrays.copyOf(pages, count);
    }

    /** Pages held. */
    public int size() {
        return count;
    }

    /** Tokens the held pages can store. */
    public int tokenCapacity() {
        return count * pool.pageSize();
    }

    /** Gives every page back; the table is empty afterwards and may grow again. */
    @Override
    public void close() {
        if (count > shared) {
            pool.give(Arrays.copyOfRange(pages, shared, count), count - shared);
        }
        count = 0;
        shared = 0;
    }
}
