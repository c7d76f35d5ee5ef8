package dev.iris.runtime.engine;

import dev.iris.api.model.EncodedImage;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The vision tower's outputs by image content, so an image shown again (the next turn of a chat,
 * the same picture from another user) skips the tower. Kept up to a byte budget, least recently
 * used out first. Requests hold the entries they use: an entry evicted while held stays valid for
 * its holders and is closed when the last one lets go. Engine thread only.
 */
final class EncodedImageCache {

    /** One encoded image and the requests holding it. */
    static final class Entry {
        final EncodedImage image;
        final long bytes;
        private int holders;
        private boolean listed;

        private Entry(EncodedImage image) {
            this.image = image;
            this.bytes = (long) image.features().shape().elementCount() * image.features().dtype().byteSize();
        }
    }

    private final long budgetBytes;
    private final LinkedHashMap<ImageDigest, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long listedBytes;
    private long hits;
    private long encoded;

    /** @param budgetBytes bytes of features kept for reuse; 0 keeps none */
    EncodedImageCache(long budgetBytes) {
        if (budgetBytes < 0) {
            throw new IllegalArgumentException("the image cache budget must not be negative, got " + budgetBytes);
        }
        this.budgetBytes = budgetBytes;
    }

    /** The cached features of this image, held for the caller, or null when they are not cached. */
    Entry acquire(ImageDigest digest) {
        Entry e = entries.get(digest);
        if (e != null) {
            e.holders++;
            hits++;
        }
        return e;
    }

    /**
     * Takes a freshly encoded image, held once for the caller, and keeps it for reuse when it fits
     * the budget (evicting the least recently used entries).
     */
    Entry add(ImageDigest digest, EncodedImage image) {
        Entry e = new Entry(image);
        e.holders = 1;
        encoded++;
        if (e.bytes <= budgetBytes && !entries.containsKey(digest)) {
            entries.put(digest, e);
            e.listed = true;
            listedBytes += e.bytes;
            evictDownTo(budgetBytes);
        }
        return e;
    }

    /** Holds an entry once more (another image of a request with the same content). */
    Entry hold(Entry e) {
        e.holders++;
        return e;
    }

    /** Lets go of an entry; closes its features when nobody holds it and the cache dropped it. */
    void release(Entry e) {
        if (--e.holders == 0 && !e.listed) {
            e.image.features().close();
        }
    }

    /** Drops every entry (held ones stay valid for their holders). */
    void clear() {
        evictDownTo(0);
    }

    /** Bytes of features kept for reuse. */
    long bytes() {
        return listedBytes;
    }

    /** Images served from the cache. */
    long hits() {
        return hits;
    }

    /** Images that went through the vision tower. */
    long encoded() {
        return encoded;
    }

    private void evictDownTo(long limit) {
        for (Iterator<Map.Entry<ImageDigest, Entry>> it = entries.entrySet().iterator();
             it.hasNext() && listedBytes > limit; ) {
            Entry e = it.next().getValue();
            it.remove();
            e.listed = false;
            listedBytes -= e.bytes;
            if (e.holders == 0) {
                e.image.features().close();
            }
        }
    }
}
