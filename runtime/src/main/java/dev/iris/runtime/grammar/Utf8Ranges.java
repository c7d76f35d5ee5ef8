package dev.iris.runtime.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a range of code points into sequences of byte ranges whose concatenations are exactly
 * the UTF-8 encodings of that range, so a character class becomes a byte automaton. Surrogates
 * (U+D800–U+DFFF) are left out: UTF-8 does not encode them.
 */
final class Utf8Ranges {

    private static final int[] MAX_OF_LENGTH = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};

    private Utf8Ranges() {
    }

    /** Byte-range sequences for {@code [lo, hi]}; each is {@code lo0, hi0, lo1, hi1, …} (one pair per byte). */
    static List<int[]> sequences(int lo, int hi) {
        List<int[]> out = new ArrayList<>();
        if (lo <= 0xD7FF) {
            split(lo, Math.min(hi, 0xD7FF), out);
        }
        if (hi >= 0xE000) {
            split(Math.max(lo, 0xE000), hi, out);
        }
        return out;
    }

    private static void split(int lo, int hi, List<int[]> out) {
        if (lo > hi) {
            return;
        }
        // First cut at the lengths of the encoding: 1, 2, 3, 4 bytes.
        for (int max : MAX_OF_LENGTH) {
            if (lo <= max && hi > max) {
                split(lo, max, out);
                split(max + 1, hi, out);
                return;
            }
        }
        if (hi <= 0x7F) {
            out.add(new int[]{lo, hi});
            return;
        }
        // Then until every continuation byte below the first differing one spans its full 0x80–0xBF.
        int length = encode(lo).length;
        for (int i = 1; i < length; i++) {
            int mask = (1 << (6 * i)) - 1;
            if ((lo & ~mask) != (hi & ~mask)) {
                if ((lo & mask) != 0) {
                    split(lo, lo | mask, out);
                    split((lo | mask) + 1, hi, out);
                    return;
                }
                if ((hi & mask) != mask) {
                    split(lo, (hi & ~mask) - 1, out);
                    split(hi & ~mask, hi, out);
                    return;
                }
            }
        }
        int[] a = encode(lo);
        int[] b = encode(hi);
        int[] seq = new int[2 * length];
        for (int i = 0; i < length; i++) {
            seq[2 * i] = a[i];
            seq[2 * i + 1] = b[i];
        }
        out.add(seq);
    }

    private static int[] encode(int cp) {
        if (cp <= 0x7F) {
            return new int[]{cp};
        }
        if (cp <= 0x7FF) {
            return new int[]{0xC0 | cp >> 6, 0x80 | cp & 0x3F};
        }
        if (cp <= 0xFFFF) {
            return new int[]{0xE0 | cp >> 12, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F};
        }
        return new int[]{0xF0 | cp >> 18, 0x80 | cp >> 12 & 0x3F, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F};
    }
}
