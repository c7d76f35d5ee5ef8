package dev.iris.backend.cuda;

/**
 * How device memory is shared out once the weights are resident: a reserve for the activations
 * of a step (the largest prefill chunk's hidden states, logits, attention scratch, cuBLAS
 * workspace) stays free, and the K/V pool may take {@code --mem-fraction-static} of the rest.
 *
 * @param totalBytes the device's memory
 * @param freeBytes  free now, with the weights loaded
 */
record MemoryPlan(long totalBytes, long freeBytes) {

    /** The smallest activation reserve: a chunk of 8192 rows of a 4096-wide model with its logits fits. */
    static final long MIN_RESERVE = 2L << 30;

    MemoryPlan {
        if (totalBytes <= 0 || freeBytes < 0 || freeBytes > totalBytes) {
            throw new IllegalArgumentException("device memory: " + freeBytes + " free of " + totalBytes);
        }
    }

    /** Kept free for activations: 5% of the device, at least {@link #MIN_RESERVE}, never more than is free. */
    long activationReserve() {
        return Math.min(freeBytes, Math.max(MIN_RESERVE, totalBytes / 20));
    }

    /** What the K/V pool may be sized from. */
    long forKvCache() {
        return freeBytes - activationReserve();
    }

    /** Pages of {@code bytesPerPage} the pool gets at {@code fraction} of {@link #forKvCache()}. */
    long pages(double fraction, long bytesPerPage) {
        if (!(fraction > 0 && fraction <= 1) || bytesPerPage <= 0) {
            throw new IllegalArgumentException("fraction " + fraction + ", page bytes " + bytesPerPage);
        }
        return (long) (fraction * forKvCache()) / bytesPerPage;
    }
}
