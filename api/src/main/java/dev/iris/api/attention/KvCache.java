package dev.iris.api.attention;

import java.util.function.IntPredicate;

/**
 * A pool of K/V pages made by an {@link AttentionBackend}, laid out as its {@link #spec()} says.
 * Which pages belong to which sequence is decided by the runtime (page tables in
 * {@link AttentionSequence}); the cache only stores. A cache may back its pages with memory only
 * as they are first written, and give back the memory of pages the runtime says are free
 * ({@link #trim}). Closing it releases its memory.
 */
public interface KvCache extends AutoCloseable {

    /** The geometry this cache was made with. */
    KvCacheSpec spec();

    /** Bytes of memory the pool takes when every page is backed. */
    long byteSize();

    /** Bytes of memory the pool holds now. */
    default long residentBytes() {
        return byteSize();
    }

    /**
     * Gives back the memory behind pages that hold nothing the runtime still needs; a page given
     * back reads as zeros when it is next written. Called on the runtime's scheduling thread
     * between steps.
     *
     * @param isFree whether a page is free
     * @return bytes given back
     */
    default long trim(IntPredicate isFree) {
        return 0;
    }

    @Override
    void close();
}
