package dev.iris.api.model;

import java.util.List;

/**
 * A prompt ready for the language model: placeholders expanded, positions computed.
 *
 * @param tokenIds      the expanded token ids (each image's placeholder repeated
 *                      {@link ProcessedImage#promptTokens()} times)
 * @param positions     the rotary position of every token of {@code tokenIds}
 * @param decodeOffset  what to add to a generated token's cache slot to get its position on every
 *                      axis (M-RoPE's {@code rope_delta}, ≤ 0; 0 for ordinary RoPE)
 * @param imageSpans    where each image's features replace prompt embeddings, in image order (families
 *                      that splice image features; empty for cross-attention families)
 * @param encoderRows   rows of cross-attention states the request's images take (Mllama: every tile of
 *                      every image); 0 for families without cross-attention
 * @param encoderVisibility per prompt position, the encoder rows it reads as {@code [from, to)} pairs
 *                      (see {@link SequenceInput.CrossAttentionInput#visible()}); generated tokens read
 *                      what the last prompt position reads. Empty when {@code encoderRows} is 0
 */
public record PreparedPrompt(int[] tokenIds, Positions positions, int decodeOffset, List<ImageSpan> imageSpans,
                             int encoderRows, int[][] encoderVisibility) {

    /** A prompt of a family without cross-attention. */
    public PreparedPrompt(int[] tokenIds, Positions positions, int decodeOffset, List<ImageSpan> imageSpans) {
        this(tokenIds, positions, decodeOffset, imageSpans, 0, new int[0][]);
    }

    public PreparedPrompt {
        tokenIds = tokenIds.clone();
        imageSpans = List.copyOf(imageSpans);
        encoderVisibility = encoderVisibility.clone();
        if (encoderRows > 0 && encoderVisibility.length != tokenIds.length) {
            throw new IllegalArgumentException(encoderVisibility.length + " visibility rows for " + tokenIds.length
                    + " tokens");
        }
        if (positions.tokens() != tokenIds.length) {
            throw new IllegalArgumentException(positions.tokens() + " positions for " + tokenIds.length + " tokens");
        }
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    @Override
    public int[][] encoderVisibility() {
        return encoderVisibility.clone();
    }

    /** The encoder rows token {@code position} reads; a generated token reads what the last prompt token reads. */
    public int[] visibilityAt(int position) {
        return encoderVisibility[Math.min(position, encoderVisibility.length - 1)];
    }

    /**
     * The token range of one image in the expanded prompt.
     *
     * @param image  index of the image in the request
     * @param start  first token of the image
     * @param length tokens it covers
     */
    public record ImageSpan(int image, int start, int length) {
    }
}
