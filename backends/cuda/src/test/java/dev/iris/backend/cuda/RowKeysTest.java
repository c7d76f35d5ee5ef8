package dev.iris.backend.cuda;

import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.AttentionSequence;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The per-row key tables the attention kernel reads, for each way keys are addressed. */
class RowKeysTest {

    private static int[] part(RowKeys k, long byteOffset, int length) {
        int from = (int) (byteOffset / Integer.BYTES);
        return Arrays.copyOfRange(k.table(), from, from + length);
    }

    @Test
    void causalRowsReadTheirCachedTokensAndTheNewOnesUpToThemselves() {
        // Pages of 2 slots. A: 3 cached tokens in pages 5, 1; 2 new (tokens 3, 4 → page 1 slot 1, page 7 slot 0).
        // B: a decode step after 1 cached token in page 4.
        AttentionBatch batch = new AttentionBatch(List.of(
                AttentionSequence.selfOnly(0, 2, 3, new int[]{5, 1, 7}),
                AttentionSequence.selfOnly(2, 1, 1, new int[]{4, 9})));
        RowKeys k = RowKeys.causal(batch, 2);
        assertArrayEquals(new int[]{3, 14, 9}, part(k, k.slotsAt(), 3));
        assertArrayEquals(new int[]{0, 0, 0}, part(k, k.firstKeyAt(), 3));
        assertArrayEquals(new int[]{4, 5, 2}, part(k, k.keyCountAt(), 3));
        assertArrayEquals(new int[]{0, 0, 3}, part(k, k.pageStartAt(), 3));
        assertArrayEquals(new int[]{5, 1, 7, 4}, part(k, k.pagesAt(), 4));
    }

    @Test
    void crossAttentionRowsReadAllTheirSequencesEncoderRows() {
        AttentionBatch batch = new AttentionBatch(List.of(
                new AttentionSequence(0, 2, 0, new int[]{0}, 3, new int[]{6, 2}),
                new AttentionSequence(2, 1, 4, new int[]{1, 3, 8}, 0, new int[0])));
        RowKeys k = RowKeys.encoder(batch, 2);
        assertArrayEquals(new int[]{3, 3, 0}, part(k, k.keyCountAt(), 3));
        assertArrayEquals(new int[]{0, 0, 2}, part(k, k.pageStartAt(), 3));
        assertArrayEquals(new int[]{6, 2}, part(k, k.pagesAt(), 2));
    }

    @Test
    void blockRowsReadTheirOwnBlockOfADenseTensor() {
        RowKeys k = RowKeys.blocks(new int[]{0, 2, 5}, 6);
        assertArrayEquals(new int[]{0, 0, 2, 2, 2, 5}, part(k, k.firstKeyAt(), 6));
        assertArrayEquals(new int[]{2, 2, 3, 3, 3, 1}, part(k, k.keyCountAt(), 6));
        assertArrayEquals(new int[]{-1, -1, -1, -1, -1, -1}, part(k, k.pageStartAt(), 6));
        assertThrows(IllegalArgumentException.class, () -> RowKeys.blocks(new int[]{0, 7}, 6));
    }
}
