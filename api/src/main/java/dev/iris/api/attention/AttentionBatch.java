package dev.iris.api.attention;

import java.util.List;

/**
 * The sequences of one forward step, in the order their rows appear in the query tensor: a mix
 * of prefill chunks and single-token decode steps.
 *
 * @param sequences the sequences, with contiguous, non-overlapping query rows
 */
public record AttentionBatch(List<AttentionSequence> sequences) {

    public AttentionBatch {
        sequences = List.copyOf(sequences);
        int next = 0;
        for (AttentionSequence s : sequences) {
            if (s.queryOffset() != next) {
                throw new IllegalArgumentException("query rows must be contiguous: expected offset "
                        + next + ", got " + s.queryOffset());
            }
            next += s.queryLength();
        }
    }

    /** Query rows in the whole batch. */
    public int totalQueryRows() {
        return sequences.stream().mapToInt(AttentionSequence::queryLength).sum();
    }
}
