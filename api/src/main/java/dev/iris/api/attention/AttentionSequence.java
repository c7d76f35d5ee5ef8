package dev.iris.api.attention;

/**
 * One sequence's part of a batched attention call.
 *
 * <p>The batch's query tensor holds the new tokens of all sequences one after another; this
 * sequence's are rows {@code [queryOffset, queryOffset + queryLength)}. Before this step the
 * sequence already had {@code cachedLength} tokens in the cache, so its new tokens occupy token
 * slots {@code cachedLength .. cachedLength + queryLength - 1}: a decode step has
 * {@code queryLength == 1}; a prefill chunk may follow cached tokens (prefix cache, chunked
 * prefill).
 *
 * @param queryOffset      first row of this sequence in the batch's query/key/value tensors
 * @param queryLength      new tokens of this sequence in this step
 * @param cachedLength     tokens already in the cache before this step
 * @param pageTable        the sequence's pages in the self-attention cache, covering at least
 *                         {@code cachedLength + queryLength} tokens
 * @param encoderLength    rows of cross-attention states (Mllama image tiles); 0 when the
 *                         sequence has none, in which case cross-attention outputs zeros for it
 * @param encoderPageTable the pages of the cross-attention cache that hold those rows; empty when none
 */
public record AttentionSequence(int queryOffset, int queryLength, int cachedLength, int[] pageTable,
                                int encoderLength, int[] encoderPageTable) {

    public AttentionSequence {
        if (queryOffset < 0 || queryLength < 0 || cachedLength < 0 || encoderLength < 0) {
            throw new IllegalArgumentException("negative offset or length in attention sequence");
        }
        pageTable = pageTable.clone();
        encoderPageTable = encoderPageTable.clone();
    }

    /** A sequence with self-attention only. */
    public static AttentionSequence selfOnly(int queryOffset, int queryLength, int cachedLength, int[] pageTable) {
        return new AttentionSequence(queryOffset, queryLength, cachedLength, pageTable, 0, new int[0]);
    }

    /** Tokens in the cache after this step. */
    public int totalLength() {
        return cachedLength + queryLength;
    }

    @Override
    public int[] pageTable() {
        return pageTable.clone();
    }

    @Override
    public int[] encoderPageTable() {
        return encoderPageTable.clone();
    }

    /** Page of the self-attention cache that holds token {@code t}, for a cache of {@code pageSize}. */
    public int pageOf(int t, int pageSize) {
        return pageTable[t / pageSize];
    }

    /** Page of the cross-attention cache that holds encoder row {@code r}. */
    public int encoderPageOf(int r, int pageSize) {
        return encoderPageTable[r / pageSize];
    }
}
