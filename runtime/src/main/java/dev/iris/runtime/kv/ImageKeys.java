package dev.iris.runtime.kv;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Cache keys for image positions. Each distinct image content hash (full width, compared in
 * whole) gets a serial number; position {@code offset} of that image gets the key
 * {@code −(serial << 24 | offset) − 1}, negative so it can never equal a token id. A token that
 * reads images through cross-attention gets {@code Long.MIN_VALUE + (serial << 32 | tokenId)}, a
 * range below every image-position key.
 */
public final class ImageKeys {

    private static final int OFFSET_BITS = 24;

    private final Map<ByteBuffer, Long> serials = new HashMap<>();

    /** The key of position {@code offset} (below 2^24) of the image with this content hash. */
    public synchronized long key(byte[] contentHash, int offset) {
        if (offset < 0 || offset >= 1 << OFFSET_BITS) {
            throw new IllegalArgumentException("image offset " + offset + " out of range");
        }
        long serial = serials.computeIfAbsent(ByteBuffer.wrap(contentHash.clone()), h -> (long) serials.size());
        return -((serial << OFFSET_BITS) | offset) - 1;
    }

    /** The key of token {@code tokenId} in a request whose images (together) have this content hash. */
    public synchronized long tokenKey(byte[] imagesHash, int tokenId) {
        if (tokenId < 0) {
            throw new IllegalArgumentException("token id " + tokenId + " is negative");
        }
        long serial = serials.computeIfAbsent(ByteBuffer.wrap(imagesHash.clone()), h -> (long) serials.size());
        return Long.MIN_VALUE + ((serial << 32) | tokenId);
    }
}
