package dev.iris.backend.cuda;

/**
 * A kernel's grid and block, by the kernel family's rule: grid-stride loops over elements,
 * one block per row, one block per (query row, head) for attention.
 *
 * @param gridX  blocks along x
 * @param gridY  blocks along y
 * @param blockX threads per block
 */
record LaunchShape(int gridX, int gridY, int blockX) {

    /** Threads per block of the elementwise kernels. */
    static final int ELEMENT_THREADS = 256;
    /** Grid-stride kernels need no more blocks than this to fill any current GPU. */
    static final int MAX_ELEMENT_BLOCKS = 1 << 16;
    /** The attention kernel's four warps (ATT_WARPS in attention.cu). */
    static final int ATTENTION_THREADS = 128;
    /** CUDA's limit on gridDim.y. */
    static final int MAX_GRID_Y = 65535;

    LaunchShape {
        if (gridX < 1 || gridY < 1 || gridY > MAX_GRID_Y || blockX < 1 || blockX > 1024) {
            throw new IllegalArgumentException("invalid launch shape: grid " + gridX + "×" + gridY + ", block " + blockX);
        }
    }

    /** {@code n} elements, each thread striding by the grid's size. */
    static LaunchShape elements(long n) {
        long blocks = Math.max(1, (n + ELEMENT_THREADS - 1) / ELEMENT_THREADS);
        return new LaunchShape((int) Math.min(blocks, MAX_ELEMENT_BLOCKS), 1, ELEMENT_THREADS);
    }

    /**
     * One block per row of {@code width} elements: as many whole warps as the row has elements,
     * up to 1024 threads (the block reductions need whole warps).
     */
    static LaunchShape rows(int rows, int width) {
        int threads = Math.min(1024, Math.max(32, (width + 31) / 32 * 32));
        return new LaunchShape(rows, 1, threads);
    }

    /** One block per query row and head. */
    static LaunchShape attention(int rows, int heads) {
        return new LaunchShape(rows, heads, ATTENTION_THREADS);
    }
}
