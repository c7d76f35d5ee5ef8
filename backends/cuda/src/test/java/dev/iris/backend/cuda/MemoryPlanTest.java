package dev.iris.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What the K/V pool may take once weights are resident, on a large and a small GPU. */
class MemoryPlanTest {

    private static final long GIB = 1L << 30;

    @Test
    void anH200KeepsFivePercentForActivations() {
        // 141 GiB device, Qwen2-VL-7B's 16 GiB of bf16 weights loaded.
        MemoryPlan plan = new MemoryPlan(141 * GIB, 125 * GIB);
        assertEquals(141 * GIB / 20, plan.activationReserve());
        assertEquals(125 * GIB - 141 * GIB / 20, plan.forKvCache());
        // Qwen2-VL-7B: 28 layers × 4 KV heads × 128 × K and V × 4 bytes = 114688 bytes a token.
        long perToken = 2L * 28 * 4 * 128 * 4;
        assertEquals((long) (0.8 * plan.forKvCache()) / perToken, plan.pages(0.8, perToken));
    }

    @Test
    void aSmallGpuKeepsTheMinimumReserveAndAFullOneLeavesNothing() {
        MemoryPlan small = new MemoryPlan(16 * GIB, 10 * GIB);
        assertEquals(MemoryPlan.MIN_RESERVE, small.activationReserve());
        assertEquals(10 * GIB - MemoryPlan.MIN_RESERVE, small.forKvCache());
        MemoryPlan full = new MemoryPlan(16 * GIB, GIB);
        assertEquals(0, full.forKvCache());
        assertEquals(0, full.pages(0.9, 4096));
    }

    @Test
    void nonsenseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryPlan(GIB, 2 * GIB));
        assertThrows(IllegalArgumentException.class, () -> new MemoryPlan(16 * GIB, GIB).pages(0, 4096));
        assertThrows(IllegalArgumentException.class, () -> new MemoryPlan(16 * GIB, GIB).pages(1.5, 4096));
    }
}
