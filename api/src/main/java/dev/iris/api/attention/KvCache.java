package dev.iris.api.attention;

/**
 * A pool of K/V pages made by an {@link AttentionBackend}, laid out as its {@link #spec()} says.
 * Which pages belong to which sequence is decided by the runtime (page tables in
 * {@link AttentionSequence}); the cache only stores. Closing it releases its memory.
 */
public interface KvCache extends AutoCloseable {

    /** The geometry this cache was made with. */
    KvCacheSpec spec();

    /** Bytes of memory the pool holds. */
    long byteSize();

    @Override
    void close();
}
