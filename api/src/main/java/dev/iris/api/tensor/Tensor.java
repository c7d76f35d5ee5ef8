package dev.iris.api.tensor;

/**
 * A handle to an n-dimensional array owned by one {@link dev.iris.api.compute.ComputeBackend}.
 *
 * <p>Its memory lives wherever the backend keeps it (Java heap, native memory, GPU memory), so
 * a tensor can only be passed to ops of the backend that made it; to read values on the host use
 * {@link dev.iris.api.compute.ComputeBackend#toFloats(Tensor)}. A tensor may be a view sharing
 * memory with another one (reshape, slice); closing a view does not free the memory it views.
 *
 * <p>Closing releases device memory at once; a backend whose memory is garbage-collected may
 * treat {@link #close()} as a no-op. Using a closed tensor is an error.
 */
public interface Tensor extends AutoCloseable {

    /** The element type. */
    DType dtype();

    /** The dimensions, outermost first. */
    Shape shape();

    /** The name of the backend that owns this tensor ({@link dev.iris.api.compute.ComputeBackend#name()}). */
    String backend();

    /** Releases the tensor's memory (no-op for views and garbage-collected memory). Idempotent. */
    @Override
    void close();
}
