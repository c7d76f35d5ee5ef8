package dev.iris.runtime.engine;

import dev.iris.api.model.EncodedImage;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EncodedImageCacheTest {

    /** A feature tensor that only knows its size and whether it was closed. */
    private static final class Features implements Tensor {
        private final Shape shape;
        boolean closed;

        Features(int rows) {
            this.shape = Shape.of(rows, 4); // 16 bytes a row
        }

        @Override
        public DType dtype() {
            return DType.F32;
        }

        @Override
        public Shape shape() {
            return shape;
        }

        @Override
        public String backend() {
            return "test";
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static ImageDigest digest(int n) {
        byte[] b = new byte[32];
        b[0] = (byte) n;
        return new ImageDigest(b);
    }

    @Test
    void anImageAddedOnceIsFoundByItsDigestAndCounted() {
        EncodedImageCache cache = new EncodedImageCache(1024);
        EncodedImageCache.Entry e = cache.add(digest(1), new EncodedImage(new Features(2)));
        cache.release(e);
        EncodedImageCache.Entry again = cache.acquire(digest(1));
        assertSame(e, again);
        assertNull(cache.acquire(digest(2)));
        assertEquals(32, cache.bytes());
        assertEquals(1, cache.encoded());
        assertEquals(1, cache.hits());
    }

    @Test
    void theLeastRecentlyUsedImageLeavesWhenTheBudgetIsExceededAndIsClosedWhenUnheld() {
        EncodedImageCache cache = new EncodedImageCache(64); // room for two 2-row images
        Features a = new Features(2);
        Features b = new Features(2);
        cache.release(cache.add(digest(1), new EncodedImage(a)));
        cache.release(cache.add(digest(2), new EncodedImage(b)));
        cache.release(cache.acquire(digest(1))); // a is now the most recently used
        cache.release(cache.add(digest(3), new EncodedImage(new Features(2))));
        assertNull(cache.acquire(digest(2)), "b was the least recently used");
        assertTrue(b.closed);
        assertFalse(a.closed);
        assertNotNull(cache.acquire(digest(1)));
        assertEquals(64, cache.bytes());
    }

    @Test
    void anEvictedImageStaysUsableForItsHoldersUntilTheLastLetsGo() {
        EncodedImageCache cache = new EncodedImageCache(32);
        Features a = new Features(2);
        EncodedImageCache.Entry held = cache.add(digest(1), new EncodedImage(a));
        cache.hold(held); // a second image of the same request
        cache.release(cache.add(digest(2), new EncodedImage(new Features(2)))); // evicts a
        assertNull(cache.acquire(digest(1)));
        assertFalse(a.closed);
        cache.release(held);
        assertFalse(a.closed);
        cache.release(held);
        assertTrue(a.closed);
    }

    @Test
    void anImageLargerThanTheBudgetIsUsedOnceAndNotKept() {
        EncodedImageCache cache = new EncodedImageCache(16);
        Features big = new Features(2);
        EncodedImageCache.Entry e = cache.add(digest(1), new EncodedImage(big));
        assertNull(cache.acquire(digest(1)));
        assertEquals(0, cache.bytes());
        cache.release(e);
        assertTrue(big.closed);
    }

    @Test
    void clearingDropsEveryUnheldImage() {
        EncodedImageCache cache = new EncodedImageCache(1024);
        Features a = new Features(2);
        cache.release(cache.add(digest(1), new EncodedImage(a)));
        cache.clear();
        assertTrue(a.closed);
        assertEquals(0, cache.bytes());
        assertNull(cache.acquire(digest(1)));
    }

    @Test
    void aNegativeBudgetIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new EncodedImageCache(-1));
    }
}
