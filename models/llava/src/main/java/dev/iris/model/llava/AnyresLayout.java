package dev.iris.model.llava;

import java.util.List;

/**
 * LLaVA-NeXT's "anyres" geometry with transformers' conventions (spec llava.md §4.4, §6.2): the
 * canvas among the grid pinpoints (each pair read as height, width), the image's size inside it,
 * and the part of the tiles' feature map that survives unpadding.
 *
 * @param rows   tile rows of the canvas
 * @param cols   tile columns
 * @param height the original image's height
 * @param width  the original image's width
 */
record AnyresLayout(int rows, int cols, int height, int width) {

    /**
     * The pinpoint that keeps the most of the image's pixels (effective resolution), the least
     * wasted canvas among those, the first in the list among equals.
     */
    static AnyresLayout choose(int height, int width, List<int[]> pinpoints, int tile) {
        int[] best = null;
        long bestEffective = -1;
        long bestWaste = Long.MAX_VALUE;
        for (int[] p : pinpoints) {
            int ch = p[0];
            int cw = p[1];
            double scale = Math.min((double) cw / width, (double) ch / height);
            long effective = Math.min((long) (int) (width * scale) * (int) (height * scale), (long) width * height);
            long waste = (long) cw * ch - effective;
            if (effective > bestEffective || (effective == bestEffective && waste < bestWaste)) {
                best = p;
                bestEffective = effective;
                bestWaste = waste;
            }
        }
        return new AnyresLayout(best[0] / tile, best[1] / tile, height, width);
    }

    /** The image's size on the canvas, aspect kept (sides rounded up): {height, width}. */
    int[] resized(int tile) {
        int ch = rows * tile;
        int cw = cols * tile;
        double sw = (double) cw / width;
        double sh = (double) ch / height;
        if (sw < sh) {
            return new int[]{Math.min((int) Math.ceil(height * sw), ch), cw};
        }
        return new int[]{ch, Math.min((int) Math.ceil(width * sh), cw)};
    }

    /**
     * The kept window of the tiles' feature map ({@code rows·side × cols·side}) once the padding's
     * rows or columns are cut: {top, height, left, width}, with the exact integer rounding.
     */
    int[] unpadded(int side) {
        int hc = rows * side;
        int wc = cols * side;
        if ((double) width / height > (double) wc / hc) {
            int newH = (int) ((long) height * wc / width);
            int pad = (hc - newH) / 2;
            return new int[]{pad, hc - 2 * pad, 0, wc};
        }
        int newW = (int) ((long) width * hc / height);
        int pad = (wc - newW) / 2;
        return new int[]{0, hc, pad, wc - 2 * pad};
    }

    /**
     * The kept map's size after OneVision's {@code anyres_max_N} shrinking: when it holds more than
     * 1.1 × √… of N tiles' features it is resampled to {@code ⌊h / r⌋ × ⌊w / r⌋} with
     * {@code r = √(h·w / (N·side²))}: {height, width}.
     */
    int[] packedSize(int side, int maxPatches) {
        int[] kept = unpadded(side);
        int h = kept[1];
        int w = kept[3];
        if (maxPatches > 0) {
            double ratio = Math.sqrt((double) h * w / (maxPatches * side * side));
            if (ratio > 1.1) {
                return new int[]{(int) Math.floor(h / ratio), (int) Math.floor(w / ratio)};
            }
        }
        return new int[]{h, w};
    }

    /** Feature rows of the image: the base crop's, then each map row (after shrinking) and its newline. */
    int promptTokens(int side, int maxPatches) {
        int[] size = packedSize(side, maxPatches);
        return side * side + size[0] * (size[1] + 1);
    }
}
