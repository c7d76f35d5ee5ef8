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
 * @param needsLogits  whether the step must return logits for this sequence's last token
 */
public record SequenceInput(int[] tokenIds, Positions positions, AttentionSequence attention,
                            List<EmbeddingSplice> splices, CrossAttentionInput cross, boolean needsLogits) {

    public SequenceInput {
        tokenIds = tokenIds.clone();
        splices = List.copyOf(splices);
        if (positions.tokens() != tokenIds.length || attention.queryLength() != tokenIds.length) {
            throw new IllegalArgumentException("tokens, positions and attention rows disagree: "
                    + tokenIds.length + ", " + positions.tokens() + ", " + attention.queryLength());
        }
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
     * What a sequence's cross-attention layers read.
     *
     * @param newStates    encoded images whose states must be written to the sequence's encoder
     *                     pages in this step (their rows follow each other in image order);
     *                     empty once written
     * @param visibleFrom  for each token of this step, the first encoder row it may read
     * @param visibleTo    for each token, one past the last encoder row it may read (equal to
     *                     {@code visibleFrom} when it reads none)
     */
    public record CrossAttentionInput(List<EncodedImage> newStates, int[] visibleFrom, int[] visibleTo) {

        public CrossAttentionInput {
            newStates = List.copyOf(newStates);
            visibleFrom = visibleFrom.clone();
            visibleTo = visibleTo.clone();
        }
    }
}
