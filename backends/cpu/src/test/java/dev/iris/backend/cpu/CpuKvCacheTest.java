package dev.iris.backend.cpu;

import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU cache holds memory only for blocks of pages that were written, gives it back when the
 * runtime says those pages are free, and attention over pages that were given back and written
 * again reads the new values.
 */
class CpuKvCacheTest {

    private static final int LAYERS = 2;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 8;
    private static final int HEADS = 2;

    private final CpuComputeBackend cpu = new CpuComputeBackend();
    private final CpuAttentionBackend attention = new CpuAttentionBackend();
    private final Random rnd = new Random(11);

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16"})
    void memoryFollowsTheBlocksWrittenAndIsGivenBackWhenTheirPagesAreFree(DType dtype) {
        int pages = 10 * CpuKvCache.BLOCK_SLOTS; // page size 1: ten blocks
        KvCache cache = attention.createCache(new KvCacheSpec(LAYERS, KV_HEADS, HEAD_DIM, 1, pages, dtype));
        long block = (long) CpuKvCache.BLOCK_SLOTS * new KvCacheSpec(LAYERS, KV_HEADS, HEAD_DIM, 1, 1, dtype).bytesPerToken();
        assertEquals(10 * block, cache.byteSize());
        assertEquals(0, cache.residentBytes(), "nothing is allocated up front");

        // A sequence on pages 0..4 and one page far away, in the eighth block.
        int[] table = {0, 1, 2, 3, 4, 7 * CpuKvCache.BLOCK_SLOTS + 3};
        writeAndAttend(cache, table, 6);
        assertEquals(2 * block, cache.residentBytes(), "two blocks written, each for every layer");

        // The far page is freed: its block goes, the first block stays while its pages are in use.
        assertEquals(block, cache.trim(p -> p == table[5] || p >= 5));
        assertEquals(block, cache.residentBytes());

        // Everything freed: nothing is held; written again, the cache reads what was written last.
        assertEquals(block, cache.trim(p -> true));
        assertEquals(0, cache.residentBytes());
        float[] again = writeAndAttend(cache, new int[]{0, 1, 2, 3, 4, 5}, 6, new Random(42));
        assertEquals(block, cache.residentBytes());
        KvCache fresh = attention.createCache(cache.spec());
        assertArrayEquals(writeAndAttend(fresh, new int[]{0, 1, 2, 3, 4, 5}, 6, new Random(42)), again);
        cache.close();
        assertEquals(0, cache.residentBytes());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16"})
    void theSameTokensOnOtherPagesGiveTheSameAttention(DType dtype) {
        KvCache cache = attention.createCache(new KvCacheSpec(LAYERS, KV_HEADS, HEAD_DIM, 1, 4 * CpuKvCache.BLOCK_SLOTS,
                dtype));
        long seed = rnd.nextLong();
        float[] low = writeAndAttend(cache, new int[]{0, 1, 2, 3}, 4, new Random(seed));
        float[] spread = writeAndAttend(cache, new int[]{300, 5, 900, 601}, 4, new Random(seed));
        assertArrayEquals(low, spread);
    }

    private float[] writeAndAttend(KvCache cache, int[] pageTable, int tokens) {
        return writeAndAttend(cache, pageTable, tokens, rnd);
    }

    /** Prefills {@code tokens} tokens on every layer; the last layer's attention output. */
    private float[] writeAndAttend(KvCache cache, int[] pageTable, int tokens, Random values) {
        AttentionBatch batch = new AttentionBatch(List.of(AttentionSequence.selfOnly(0, tokens, 0, pageTable)));
        Tensor out = null;
        for (int layer = 0; layer < LAYERS; layer++) {
            Tensor q = cpu.fromFloats(TestTensors.random(values, tokens * HEADS * HEAD_DIM, 1f), Shape.of(tokens, HEADS, HEAD_DIM));
            Tensor k = cpu.fromFloats(TestTensors.random(values, tokens * KV_HEADS * HEAD_DIM, 1f),
                    Shape.of(tokens, KV_HEADS, HEAD_DIM));
            Tensor v = cpu.fromFloats(TestTensors.random(values, tokens * KV_HEADS * HEAD_DIM, 1f),
                    Shape.of(tokens, KV_HEADS, HEAD_DIM));
            out = attention.selfAttention(cache, layer, batch, q, k, v, 0.5f);
        }
        float[] result = cpu.toFloats(out);
        assertTrue(IntStream.range(0, result.length).allMatch(i -> Float.isFinite(result[i])));
        return result;
    }
}
