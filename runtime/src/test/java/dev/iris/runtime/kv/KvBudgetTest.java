package dev.iris.runtime.kv;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The K/V pool is sized by what the requests can use, capped by free memory, and says why. */
class KvBudgetTest {

    private static final long GIB = 1L << 30;

    @Test
    void withRoomToSpareThePoolHoldsEveryRunningRequestsWholeContext() {
        // 4 requests × 4096 tokens = 16,384 tokens of 1 KiB = 16 MiB, far below 0.8 × 8 GiB.
        KvBudget b = KvBudget.of(1, 0, 4, 4096, 0.8, 8 * GIB, 1024, "BF16");
        assertEquals(16_384, b.tokens());
        assertEquals(16_384, b.pages());
        assertTrue(b.reason().contains("4 running requests × 4,096-token context"), b.reason());
        assertTrue(b.reason().contains("16.0 MiB"), b.reason());
    }

    @Test
    void whenTheRequestsWouldNeedMoreTheFreeMemoryCapsIt() {
        // 200 × 32,768 tokens of 28 KiB would need 175 GiB; 0.5 × 1 GiB holds 18,724 tokens.
        KvBudget b = KvBudget.of(16, 0, 200, 32_768, 0.5, GIB, 28 * 1024, "BF16");
        assertEquals(18_720, b.tokens(), "whole pages of 16");
        assertEquals(1170, b.pages());
        assertTrue(b.reason().contains("capped at --mem-fraction-static 0.5 of 1.00 GiB free"), b.reason());
    }

    @Test
    void maxTotalTokensIsTakenAsGivenAndSaysWhenMemoryLooksShort() {
        KvBudget b = KvBudget.of(1, 20_480, 200, 32_768, 0.8, GIB, 1024, "F32");
        assertEquals(20_480, b.tokens());
        assertTrue(b.reason().contains("--max-total-tokens"), b.reason());
        KvBudget tight = KvBudget.of(1, 20_480, 200, 32_768, 0.8, 1 << 20, 1024, "F32");
        assertTrue(tight.reason().contains("more than the 819"), tight.reason());
    }

    @Test
    void aBudgetWithoutRoomForOnePageIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KvBudget.of(16, 0, 1, 4096, 0.5, 1 << 20, 1 << 20, "BF16"));
        assertTrue(e.getMessage().contains("does not hold one page"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KvBudget.of(1, 0, 1, 4096, 1.5, GIB, 1024, "BF16"));
    }
}
