package dev.iris.backend.cuda;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Pointer;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Device memory for tensors. Step activations come and go thousands of times a second, so freed
 * blocks are kept by size class (four per power of two) and handed out again; every use is on
 * the one stream, so a block reused by a later kernel is only touched after its last reader.
 * Weights and K/V pools are allocated at their exact size and never cached. When cudaMalloc
 * fails, cached blocks are returned to the driver and unreachable tensors collected first.
 */
final class DeviceMemory {

    private final Map<Long, ArrayDeque<Long>> cached = new HashMap<>();
    private long cachedBytes;
    private long liveBytes;

    /** A block of at least {@code bytes}; its size class is what {@link #release} must be given. */
    synchronized long allocate(long bytes) {
        long size = sizeClass(bytes);
        ArrayDeque<Long> free = cached.get(size);
        if (free != null && !free.isEmpty()) {
            cachedBytes -= size;
            liveBytes += size;
            return free.pop();
        }
        long address = malloc(size);
        liveBytes += size;
        return address;
    }

    /** Exactly {@code bytes}, for memory that lives as long as the model (weights, K/V pages). */
    synchronized long allocateExact(long bytes) {
        long address = malloc(bytes);
        liveBytes += bytes;
        return address;
    }

    synchronized void release(long address, long sizeClass) {
        liveBytes -= sizeClass;
        cachedBytes += sizeClass;
        cached.computeIfAbsent(sizeClass, k -> new ArrayDeque<>()).push(address);
    }

    synchronized void releaseExact(long address, long bytes) {
        liveBytes -= bytes;
        CudaCheck.cuda(cudart.cudaFree(new HostAddress(address)), "cudaFree");
    }

    synchronized long cachedBytes() {
        return cachedBytes;
    }

    synchronized long liveBytes() {
        return liveBytes;
    }

    /** Rounds up to one of four classes per power of two (at most 25% unused), at least 256 bytes. */
    static long sizeClass(long bytes) {
        if (bytes <= 256) {
            return 256;
        }
        long step = Long.highestOneBit(bytes - 1) >> 2;
        return (bytes + step - 1) / step * step;
    }

    private long malloc(long bytes) {
        for (int attempt = 0; ; attempt++) {
            Pointer p = new Pointer();
            int status = cudart.cudaMalloc(p, bytes);
            if (status == cudart.cudaSuccess) {
                return p.address();
            }
            if (attempt == 2) {
                throw new IllegalStateException(String.format("out of GPU memory: %d MiB requested, %d MiB held by"
                        + " tensors (%s)", bytes >> 20, liveBytes >> 20, cudart.cudaGetErrorString(status).getString()));
            }
            freeCached();
            if (attempt == 1) {
                // Tensors nobody holds any more give their blocks back through their cleaners.
                System.gc();
                try {
                    wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                freeCached();
            }
        }
    }

    private void freeCached() {
        for (ArrayDeque<Long> blocks : cached.values()) {
            for (long a : blocks) {
                cudart.cudaFree(new HostAddress(a));
            }
        }
        cached.clear();
        cachedBytes = 0;
    }
}
