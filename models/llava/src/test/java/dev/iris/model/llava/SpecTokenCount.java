package dev.iris.model.llava;

import java.util.List;

/**
 * An anyres image's prompt positions written straight from spec llava.md §4.4.1, §6.2 and §6.4,
 * apart from the plugin's {@link AnyresLayout}, so the tests can check it: the pinpoint choice,
 * the unpadding and OneVision's shrinking, in transformers' or SGLang's conventions.
 */
final class SpecTokenCount {

    private SpecTokenCount() {
    }

    /**
     * @param sglang     pinpoints read as (width, height) and the unpadding's double {@code int()};
     *                   otherwise (height, width) and exact integers, as transformers
     * @param tile       crop side in pixels
     * @param side       feature rows per crop side
     * @param maxPatches {@code anyres_max_N}'s N, 0 for none
     * @return {rows, cols, positions}
     */
    static int[] anyres(int width, int height, List<int[]> pinpoints, boolean sglang, int tile, int side, int maxPatches) {
        int bestW = 0;
        int bestH = 0;
        long bestEffective = 0;
        long bestWaste = Long.MAX_VALUE;
        for (int[] p : pinpoints) {
            int cw = sglang ? p[0] : p[1];
            int ch = sglang ? p[1] : p[0];
            double s = Math.min((double) cw / width, (double) ch / height);
            long effective = Math.min((long) (width * s) * (long) (height * s), (long) width * height);
            long waste = (long) cw * ch - effective;
            if (effective > bestEffective || effective == bestEffective && waste < bestWaste) {
                bestW = cw;
                bestH = ch;
                bestEffective = effective;
                bestWaste = waste;
            }
        }
        int rows = bestH / tile;
        int cols = bestW / tile;
        int hc = rows * side;
        int wc = cols * side;
        int h = hc;
        int w = wc;
        if ((double) width / height > (double) wc / hc) {
            int newH = sglang ? (int) (height * ((double) wc / width)) : height * wc / width;
            h = hc - 2 * ((hc - newH) / 2);
        } else {
            int newW = sglang ? (int) (width * ((double) hc / height)) : width * hc / height;
            w = wc - 2 * ((wc - newW) / 2);
        }
        if (maxPatches > 0) {
            double ratio = Math.sqrt((double) h * w / (maxPatches * side * side));
            if (ratio > 1.1) {
                h = (int) pythonFloorDivide(h, ratio);
                w = (int) pythonFloorDivide(w, ratio);
            }
        }
        return new int[]{rows, cols, side * side + h * (w + 1)};
    }

    /** CPython's float {@code a // b} (spec §0). */
    private static double pythonFloorDivide(double a, double b) {
        double mod = a % b;
        double div = (a - mod) / b;
        double q = Math.floor(div);
        return div - q > 0.5 ? q + 1 : q;
    }
}
