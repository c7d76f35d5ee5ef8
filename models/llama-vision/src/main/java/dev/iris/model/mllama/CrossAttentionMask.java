package dev.iris.model.mllama;

import java.util.ArrayList;
import java.util.List;

/**
 * Which image rows each prompt token's cross-attention reads (spec mllama.md §8.1, HF's
 * {@code get_cross_attention_token_mask}): an image is read from its {@code <|image|>} token up to
 * the next image's token, the last one to the end; a run of adjacent image tokens forms a group read
 * together until the next group. Only an image's own tiles are readable. Tokens before the first
 * image read none. Generated tokens read what the last prompt token reads.
 */
final class CrossAttentionMask {

    private CrossAttentionMask() {
    }

    /**
     * @param ids           the prompt's tokens
     * @param imageToken    the {@code <|image|>} id
     * @param numTiles      each image's own tiles, in image order
     * @param rowsPerImage  encoder rows per image (all tiles the encoder runs × tokens per tile)
     * @param rowsPerTile   encoder rows per tile
     * @return per prompt position, the readable encoder rows as {@code [from, to)} pairs
     */
    static int[][] visibility(int[] ids, int imageToken, int[] numTiles, int rowsPerImage, int rowsPerTile) {
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == imageToken) {
                at.add(i);
            }
        }
        if (at.size() != numTiles.length) {
            throw new IllegalArgumentException("The prompt has " + at.size() + " image placeholder(s) for "
                    + numTiles.length + " image(s).");
        }
        int n = at.size();
        int[] end = new int[n];
        for (int k = 0; k < n; k++) {
            end[k] = k + 1 < n ? at.get(k + 1) : ids.length;
        }
        int last = ids.length;
        for (int k = n - 1; k >= 0; k--) {
            if (at.get(k) == end[k] - 1) { // followed at once by the next image: read with its group
                end[k] = last;
            }
            last = end[k];
        }
        int[][] out = new int[ids.length][];
        for (int s = 0; s < ids.length; s++) {
            List<Integer> ranges = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                if (at.get(k) <= s && s < end[k]) {
                    ranges.add(k * rowsPerImage);
                    ranges.add(k * rowsPerImage + numTiles[k] * rowsPerTile);
                }
            }
            out[s] = ranges.stream().mapToInt(Integer::intValue).toArray();
        }
        return out;
    }
}
