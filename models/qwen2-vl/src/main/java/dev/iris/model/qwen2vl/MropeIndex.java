package dev.iris.model.qwen2vl;

import dev.iris.api.model.Positions;

import java.util.List;

/**
 * Qwen2-VL's {@code get_rope_index} (spec qwen2-vl.md §8): text positions run on all three axes
 * alike; an image's tokens share one temporal position and walk its merged grid on the height
 * and width axes; the text after an image resumes one past the largest position the image used.
 */
final class MropeIndex {

    /**
     * @param positions   {@code [3, tokens]} positions
     * @param decodeDelta what to add to a generated token's cache slot to get its position (≤ 0)
     */
    record Result(Positions positions, int decodeDelta) {
    }

    private MropeIndex() {
    }

    /**
     * @param ids          the expanded prompt (each image's placeholders already repeated)
     * @param imageStarts  the index of each image's first placeholder, in order
     * @param images       the images, in order
     * @param merge        patches merged per side
     */
    static Result of(int[] ids, List<Integer> imageStarts, List<Qwen2VlImage> images, int merge) {
        int n = ids.length;
        int[] v = new int[3 * n];
        int next = 0;
        int at = 0;
        for (int i = 0; i < images.size(); i++) {
            Qwen2VlImage image = images.get(i);
            int start = imageStarts.get(i);
            for (; at < start; at++, next++) {
                v[at] = v[n + at] = v[2 * n + at] = next;
            }
            int lt = image.gridT();
            int lh = image.gridH() / merge;
            int lw = image.gridW() / merge;
            int base = next;
            for (int t = 0; t < lt; t++) {
                for (int h = 0; h < lh; h++) {
                    for (int w = 0; w < lw; w++, at++) {
                        v[at] = base + t;
                        v[n + at] = base + h;
                        v[2 * n + at] = base + w;
                    }
                }
            }
            next = base + Math.max(lt - 1, Math.max(lh - 1, lw - 1)) + 1;
        }
        for (; at < n; at++, next++) {
            v[at] = v[n + at] = v[2 * n + at] = next;
        }
        return new Result(new Positions(3, v), next - n);
    }
}
