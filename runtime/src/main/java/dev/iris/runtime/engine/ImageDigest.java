package dev.iris.runtime.engine;

import dev.iris.api.model.ProcessedImage;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The SHA-256 of a preprocessed image: its pixel shape and values. Two images with the same
 * digest give the same vision features and the same prompt tokens, so the digest keys both the
 * encoded-image cache and the prefix cache's image positions.
 */
record ImageDigest(byte[] sha256) {

    static ImageDigest of(ProcessedImage image) {
        MessageDigest sha = newSha256();
        int[] dims = image.pixelShape().dims();
        ByteBuffer shape = ByteBuffer.allocate(dims.length * Integer.BYTES);
        shape.asIntBuffer().put(dims);
        sha.update(shape);
        float[] pixels = image.pixelValues();
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        for (int i = 0; i < pixels.length; ) {
            chunk.clear();
            int n = Math.min(pixels.length - i, chunk.capacity() / Float.BYTES);
            chunk.asFloatBuffer().put(pixels, i, n);
            chunk.limit(n * Float.BYTES);
            sha.update(chunk);
            i += n;
        }
        return new ImageDigest(sha.digest());
    }

    /** One digest of several images in order (what a cross-attention request's tokens depend on). */
    static byte[] combined(ImageDigest[] images) {
        MessageDigest sha = newSha256();
        for (ImageDigest d : images) {
            sha.update(d.sha256);
        }
        return sha.digest();
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageDigest d && Arrays.equals(sha256, d.sha256);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sha256);
    }

    @Override
    public String toString() {
        return "ImageDigest[" + java.util.HexFormat.of().formatHex(sha256, 0, 6) + "…]";
    }
}
