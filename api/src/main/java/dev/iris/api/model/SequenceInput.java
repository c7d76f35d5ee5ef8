package dev.iris.api.model;

import dev.iris.api.attention.AttentionSequence;

import java.util.List;

/**
 * One sequence's share of a forward step: a prefill chunk or a single decode token.
 *
 * @param tokenIds     the new tokens of this step
 * @param positions    their rotary positions
 * @param attention    where they sit in the batch and in the K/V cache
 * @param splices      image features that replace the embeddings of some of these tokens
 * @param cross        cross-attention input (Mllama), or null for families without it
 * @param logitRows    how many of this step's last tokens need logits: 0, 1 (the next token is
 *                     sampled), or more when the prompt's own tokens are scored (prompt logprobs)
 */
public record SequenceInput(int[] tokenIds, Positions positions, AttentionSequence attention,
                            List<EmbeddingSplice> splices, CrossAttentionInput cross, int logitRows) {

    /** A step that needs logits for its last token or for none. */
    public SequenceInput(int[] tokenIds, Positions positions, AttentionSequence attention,
                         List<EmbeddingSplice> splices, CrossAttentionInput cross, boolean needsLogits) {
        this(tokenIds, positions, attention, splices, cross, needsLogits ? 1 : 0);
    }

    public SequenceInput {
        tokenIds = tokenIds.clone();
        splices = List.copyOf(splices);
        if (logitRows < 0 || logitRows > tokenIds.length) {
            throw new IllegalArgumentException(logitRows + " logit rows for " + tokenIds.length + " tokens");
        }
        if (positions.tokens() != tokenIds.length || attention.queryLength() != tokenIds.length) {
            throw new IllegalArgumentException("tokens, positions and attention rows disagree: "
                    + tokenIds.length + ", " + positions.tokens() + ", " + attention.queryLength());
        }
    }

    /** Whether the step returns any logits for this sequence. */
    public boolean needsLogits() {
        return logitRows > 0;
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    /**
     * Rows {@code imageRow .. imageRow + rows} of an encoded image replace the embeddings of this
     * step's tokens {@code tokenRow .. tokenRow + rows}. A chunk boundary may cut an image, so a
     * splice may cover part of it.
     */
    public record EmbeddingSplice(int tokenRow, EncodedImage image, int imageRow, int rows) {
    }

    /**
     * What a sequence's cross-attention layers read (Mllama).
     *
     * @param newStates encoded images whose states must be written to the sequence's encoder pages
     *                  in this step (their rows follow each other in image order); empty once written
     * @param visible   for each token of this step, the encoder rows it may read as {@code [from, to)}
     *                  pairs in one array ({@code {f0, t0, f1, t1, …}}); empty for a token that reads
     *                  no image (what the family does with such a token is its own rule)
     */
    public record CrossAttentionInput(List<EncodedImage> newStates, int[][] visible) {

        public CrossAttentionInput {
            newStates = List.copyOf(newStates);
            visible = visible.clone();
            for (int[] ranges : visible) {
                if (ranges.length % 2 != 0) {
                    throw new IllegalArgumentException("visible rows must come as [from, to) pairs");
                }
            }
        }

        @Override
        public int[][] visible() {
            return visible.clone();
        }
    }
}
