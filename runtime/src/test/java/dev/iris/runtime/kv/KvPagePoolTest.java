package dev.iris.runtime.kv;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KvPagePoolTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 16})
    void tablesGrowPageByPageAndGiveEverythingBack(int pageSize) {
        KvPagePool pool = new KvPagePool(pageSize, 10);
        PageTable a = pool.newTable();
        PageTable b = pool.newTable();
        assertTrue(a.ensureCapacity(3 * pageSize + 1)); // 4 pages
        assertTrue(b.ensureCapacity(pageSize));         // 1 page
        assertTrue(a.ensureCapacity(3 * pageSize));     // already covered
        assertEquals(4, a.size());
        assertEquals(5, pool.usedPages());
        Set<Integer> distinct = new HashSet<>();
        for (int p : a.pages()) {
            distinct.add(p);
        }
        for (int p : b.pages()) {
            distinct.add(p);
        }
        assertEquals(5, distinct.size(), "no page is shared");
        a.close();
        b.close();
        assertEquals(0, pool.usedPages());
        assertEquals(10, pool.freePages());
    }

    @Test
    void aRequestThatDoesNotFitTakesNothingAndCanRetryLater() {
        KvPagePool pool = new KvPagePool(4, 5);
        PageTable big = pool.newTable();
        assertTrue(big.ensureCapacity(16)); // 4 pages
        PageTable other = pool.newTable();
        assertFalse(other.ensureCapacity(8)); // needs 2, 1 free
        assertEquals(0, other.size());
        assertEquals(1, pool.freePages());
        big.close();
        assertTrue(other.ensureCapacity(8));
        other.close();
        assertEquals(0, pool.usedPages());
    }

    @Test
    void theLowestFreePagesAreHandedOutFirst() {
        KvPagePool pool = new KvPagePool(1, 8);
        PageTable a = pool.newTable();
        PageTable b = pool.newTable();
        assertTrue(a.ensureCapacity(3));
        assertTrue(b.ensureCapacity(2));
        assertArrayEquals(new int[]{0, 1, 2}, a.pages());
        assertArrayEquals(new int[]{3, 4}, b.pages());
        a.close();
        assertTrue(pool.isFree(1));
        PageTable c = pool.newTable();
        assertTrue(c.ensureCapacity(4));
        assertArrayEquals(new int[]{0, 1, 2, 5}, c.pages(), "the freed low pages, then the next above b's");
        assertFalse(pool.isFree(5));
    }
}
