package dev.iris.api.model;

import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.KvCache;

import java.util.List;

/**
 * The input of one forward step: every running sequence's new tokens, mixed (prefill chunks and
 * decode steps together), over shared K/V caches.
 *
 * @param sequences    the sequences, in row order
 * @param cache        the self-attention K/V cache
 * @param encoderCache the cross-attention cache (Mllama), or null
 */
public record ForwardBatch(List<SequenceInput> sequences, KvCache cache, KvCache encoderCache) {

    public ForwardBatch {
        sequences = List.copyOf(sequences);
    }

    /** The attention layout of this step. */
    public AttentionBatch attention() {
        return new AttentionBatch(sequences.stream().map(SequenceInput::attention).toList());
    }

    /** Rows of the forward's result: every sequence's {@link SequenceInput#logitRows()}. */
    public int logitRows() {
        return sequences.stream().mapToInt(SequenceInput::logitRows).sum();
    }
}
