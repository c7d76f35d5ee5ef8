package dev.iris.model.llava;

import java.util.List;

/**
 * LLaVA-NeXT's "anyres" geometry (spec llava.md §4.4, §6.2): the canvas among the grid pinpoints,
 * the image's size inside it, and the part of the tiles' feature map that survives unpadding, in
 * transformers' conventions or the original code's (which SGLang follows).
 *
 * @param rows       tile rows of the canvas
 * @param cols       tile columns
 * @param height     the original image's height
 * @param width      the original image's width
 * @param convention whose reading of the pinpoints, padding and rounding applies
 */
record AnyresLayout(int rows, int cols, int height, int width, Convention convention) {

    /** The two readings of the same checkpoint numbers; they differ on some images' grids and token counts (§4.4.2, §6.2). */
    enum Convention {
        /** Pinpoints as (height, width); the resized image centred with equal margins; exact unpadding. */
        TRANSFORMERS,
        /**
         * Pinpoints as (width, height); the resized image pasted on the full canvas (an odd margin's
         * extra pixel right or below); unpadding through a double product truncated, as Python's
         * {@code int(oh * (Wc / ow))}.
         */
        ORIGINAL
    }

    /**
     * The pinpoint that keeps the most of the image's pixels (effective resolution), the least
     * wasted canvas among those, the first in the list among equals.
     */
    static AnyresLayout choose(int height, int width, List<int[]> pinpoints, int tile, Convention convention) {
        int bestHeight = 0;
        int bestWidth = 0;
        long bestEffective = -1;
        long bestWaste = Long.MAX_VALUE;
        for (int[] p : pinpoints) {
            int ch = convention == Convention.TRANSFORMERS ? p[0] : p[1];
            int cw = convention == Convention.TRANSFORMERS ? p[1] : p[0];
            double scale = Math.min((double) cw / width, (double) ch / height);
            long effective = Math.min((long) (int) (width * scale) * (int) (height * scale), (long) width * height);
            long waste = (long) cw * ch - effective;
            if (effective > bestEffective || (effective == bestEffective && waste < bestWaste)) {
                bestHeight = ch;
                bestWidth = cw;
                bestEffective = effective;
                bestWaste = waste;
            }
        }
        return new AnyresLayout(bestHeight / tile, bestWidth / tile, height, width, convention);
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
     * Where the resized image sits on the canvas: {top, left, canvas height, canvas width}. HF pads
     * the same amount on both sides, so an odd remainder leaves its canvas a pixel short and the
     * last tile of that row or column narrower (its crop resize then stretches it).
     */
    int[] placement(int tile) {
        int[] size = resized(tile);
        int top = (rows * tile - size[0]) / 2;
        int left = (cols * tile - size[1]) / 2;
        if (convention == Convention.ORIGINAL) {
            return new int[]{top, left, rows * tile, cols * tile};
        }
        return new int[]{top, left, size[0] + 2 * top, size[1] + 2 * left};
    }

    /**
     * The kept window of the tiles' feature map ({@code rows·side × cols·side}) once the padding's
     * rows or columns are cut: {top, height, left, width}.
     */
    int[] unpadded(int side) {
        int hc = rows * side;
        int wc = cols * side;
        boolean original = convention == Convention.ORIGINAL;
        if ((double) width / height > (double) wc / hc) {
            int newH = original ? (int) (height * ((double) wc / width)) : (int) ((long) height * wc / width);
            int pad = (hc - newH) / 2;
            return new int[]{pad, hc - 2 * pad, 0, wc};
        }
        int newW = original ? (int) (width * ((double) hc / height)) : (int) ((long) width * hc / height);
        int pad = (wc - newW) / 2;
        return new int[]{0, hc, pad, wc - 2 * pad};
    }

    /**
     * The kept map's size after OneVision's {@code anyres_max_N} shrinking: when it holds more than
     * 1.1 × √… of N tiles' features it is resampled to {@code h // r × w // r} with
     * {@code r = √(h·w / (N·side²))}: {height, width}.
     */
    int[] packedSize(int side, int maxPatches) {
        int[] kept = unpadded(side);
        int h = kept[1];
        int w = kept[3];
        if (maxPatches > 0) {
            double ratio = Math.sqrt((double) h * w / (maxPatches * side * side));
            if (ratio > 1.1) {
                return new int[]{floorDivide(h, ratio), floorDivide(w, ratio)};
            }
        }
        return new int[]{h, w};
    }

    /**
     * Python's float {@code a // b} (spec §0): {@code floor(a / b)} can be one too many when the
     * quotient rounds up to an integer.
     */
    private static int floorDivide(double a, double b) {
        double mod = a % b;
        double div = (a - mod) / b;
        double q = Math.floor(div);
        return (int) (div - q > 0.5 ? q + 1 : q);
    }

    /** Feature rows of the image: the base crop's, then each map row (after shrinking) and its newline. */
    int promptTokens(int side, int maxPatches) {
        int[] size = packedSize(side, maxPatches);
        return side * side + size[0] * (size[1] + 1);
    }
}
