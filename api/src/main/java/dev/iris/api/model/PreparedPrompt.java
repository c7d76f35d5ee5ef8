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
 * @param imageSpans    where each image's positions are, in image order
 */
public record PreparedPrompt(int[] tokenIds, Positions positions, int decodeOffset, List<ImageSpan> imageSpans) {

    public PreparedPrompt {
        tokenIds = tokenIds.clone();
        imageSpans = List.copyOf(imageSpans);
        if (positions.tokens() != tokenIds.length) {
            throw new IllegalArgumentException(positions.tokens() + " positions for " + tokenIds.length + " tokens");
        }
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
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
