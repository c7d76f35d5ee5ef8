package dev.iris.runtime.kv;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class PrefixCacheTest {

    private static long[] keys(long... k) {
        return k;
    }

    /** A finished sequence of {@code keys} whose pages the cache takes over. */
    private static int[] finish(KvPagePool pool, PrefixCache cache, long[] keys) {
        PageTable t = pool.newTable();
        t.ensureCapacity(keys.length);
        int[] pages = t.pages();
        int full = keys.length / pool.pageSize();
        cache.insert(keys, pages, full);
        t.detach(full);
        return pages;
    }

    @Test
    void aLaterSequenceReusesTheWholePagesOfASharedPrefix() {
        KvPagePool pool = new KvPagePool(2, 16);
        PrefixCache cache = new PrefixCache(pool);
        int[] first = finish(pool, cache, keys(1, 2, 3, 4, 5)); // 2 full pages cached, the half page freed
        assertEquals(2, cache.cachedPages());
        assertEquals(2, pool.usedPages());

        PrefixCache.Match m = cache.lookup(keys(1, 2, 3, 9, 9, 9), 5);
        assertArrayEquals(new int[]{first[0]}, m.pages()); // page [1,2] matches, [3,9] does not
        assertEquals(2, m.tokens(2));
        cache.release(m);
        assertEquals(0, cache.lookup(keys(7, 2), 2).tokens(2));
    }

    @Test
    void pinnedPagesSurviveEvictionAndTheOldestUnpinnedLeafGoesFirst() {
        KvPagePool pool = new KvPagePool(1, 8);
        PrefixCache cache = new PrefixCache(pool);
        finish(pool, cache, keys(1, 2));
        finish(pool, cache, keys(5, 6));
        PrefixCache.Match pinned = cache.lookup(keys(1, 2), 2);
        assertEquals(2, cache.evict(4)); // only 5→6 can go; 1→2 is pinned
        assertEquals(2, cache.cachedPages());
        cache.release(pinned);
        assertEquals(2, cache.evict(4));
        assertEquals(0, pool.usedPages());
    }

    @Test
    void aProbePinsNothingAndCountsTheMatchedPagesThatAreStillEvictable() {
        KvPagePool pool = new KvPagePool(1, 8);
        PrefixCache cache = new PrefixCache(pool);
        finish(pool, cache, keys(1, 2, 3));
        PrefixCache.Match shared = cache.lookup(keys(1, 9), 2); // pins page [1]
        assertEquals(2, cache.evictablePages());
        assertEquals(new PrefixCache.Probe(3, 2), cache.probe(keys(1, 2, 3, 4), 4));
        assertEquals(2, cache.evictablePages()); // the probe pinned nothing
        cache.release(shared);
        assertEquals(3, cache.evictablePages());
        assertEquals(new PrefixCache.Probe(2, 2), cache.probe(keys(1, 2, 3), 2)); // the limit keeps the last token out
    }

    @Test
    void theSamePrefixInsertedTwiceKeepsOneCopy() {
        KvPagePool pool = new KvPagePool(1, 8);
        PrefixCache cache = new PrefixCache(pool);
        finish(pool, cache, keys(1, 2, 3));
        finish(pool, cache, keys(1, 2, 3));
        assertEquals(3, cache.cachedPages());
        assertEquals(3, pool.usedPages());
    }

    @Test
    void imagePositionsAreKeyedByTheWholeContentHashAndOffset() {
        ImageKeys k = new ImageKeys();
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        b[31] = 1; // differs only in the last byte
        assertEquals(k.key(a.clone(), 3), k.key(a, 3));
        assertNotEquals(k.key(a, 3), k.key(b, 3));
        assertNotEquals(k.key(a, 3), k.key(a, 4));
        assertEquals(true, k.key(a, 0) < 0, "never a token id");
    }
}
