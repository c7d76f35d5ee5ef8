package dev.iris.runtime.grammar;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A grammar's right-hand sides, over the bytes of UTF-8 text: what JSON Schemas, regular
 * expressions and EBNF grammars are all translated into before {@link GrammarCompiler} turns them
 * into automata.
 */
public sealed interface Expr {

    /** Repetition without an upper bound. */
    int UNBOUNDED = -1;

    /** These bytes, in order (a string's UTF-8 encoding). */
    record Literal(byte[] bytes) implements Expr {
        public Literal {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Literal l && Arrays.equals(bytes, l.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    /**
     * One code point from a set, written in UTF-8.
     *
     * @param ranges sorted, disjoint, non-adjacent inclusive pairs {@code lo0, hi0, lo1, hi1, …} of
     *               code points (surrogates never match: UTF-8 cannot carry them)
     */
    record CharSet(int[] ranges) implements Expr {
        public CharSet {
            ranges = normalize(ranges);
        }

        @Override
        public int[] ranges() {
            return ranges.clone();
        }

        /** The code points not in this set. */
        public CharSet negate() {
            List<Integer> out = new ArrayList<>();
            int next = 0;
            for (int i = 0; i < ranges.length; i += 2) {
                if (ranges[i] > next) {
                    out.add(next);
                    out.add(ranges[i] - 1);
                }
                next = ranges[i + 1] + 1;
            }
            if (next <= Character.MAX_CODE_POINT) {
                out.add(next);
                out.add(Character.MAX_CODE_POINT);
            }
            return new CharSet(out.stream().mapToInt(Integer::intValue).toArray());
        }

        /** Whether a code point is in the set. */
        public boolean contains(int codePoint) {
            for (int i = 0; i < ranges.length; i += 2) {
                if (codePoint >= ranges[i] && codePoint <= ranges[i + 1]) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CharSet c && Arrays.equals(ranges, c.ranges);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ranges);
        }

        private static int[] normalize(int[] pairs) {
            if (pairs.length % 2 != 0) {
                throw new IllegalArgumentException("character ranges come in pairs");
            }
            long[] packed = new long[pairs.length / 2];
            for (int i = 0; i < packed.length; i++) {
                int lo = pairs[2 * i];
                int hi = pairs[2 * i + 1];
                if (lo < 0 || hi > Character.MAX_CODE_POINT || lo > hi) {
                    throw new IllegalArgumentException("bad character range " + lo + "-" + hi);
                }
                packed[i] = ((long) lo << 32) | hi;
            }
            Arrays.sort(packed);
            List<Integer> out = new ArrayList<>();
            for (long p : packed) {
                int lo = (int) (p >>> 32);
                int hi = (int) p;
                int n = out.size();
                if (n > 0 && lo <= out.get(n - 1) + 1) {
                    out.set(n - 1, Math.max(out.get(n - 1), hi));
                } else {
                    out.add(lo);
                    out.add(hi);
                }
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** The items one after another. */
    record Seq(List<Expr> items) implements Expr {
        public Seq {
            items = List.copyOf(items);
        }
    }

    /** Any one of the options. */
    record Alt(List<Expr> options) implements Expr {
        public Alt {
            options = List.copyOf(options);
            if (options.isEmpty()) {
                throw new IllegalArgumentException("an alternation needs at least one option");
            }
        }
    }

    /** {@code item} repeated {@code min} to {@code max} times ({@link #UNBOUNDED}: no limit). */
    record Repeat(Expr item, int min, int max) implements Expr {
        public Repeat {
            if (min < 0 || (max != UNBOUNDED && max < min)) {
                throw new IllegalArgumentException("bad repetition {" + min + "," + max + "}");
            }
        }
    }

    /** The rule of that name. */
    record Ref(String rule) implements Expr {
    }

    /** The empty string. */
    Expr EMPTY = new Seq(List.of());

    static Expr literal(String text) {
        return new Literal(text.getBytes(StandardCharsets.UTF_8));
    }

    static Expr seq(Expr... items) {
        return items.length == 1 ? items[0] : new Seq(List.of(items));
    }

    static Expr alt(Expr... options) {
        return options.length == 1 ? options[0] : new Alt(List.of(options));
    }

    static Expr optional(Expr item) {
        return new Repeat(item, 0, 1);
    }

    static Expr star(Expr item) {
        return new Repeat(item, 0, UNBOUNDED);
    }

    static Expr plus(Expr item) {
        return new Repeat(item, 1, UNBOUNDED);
    }

    static Expr ref(String rule) {
        return new Ref(rule);
    }

    /** One code point in {@code [lo, hi]}. */
    static CharSet range(int lo, int hi) {
        return new CharSet(new int[]{lo, hi});
    }

    /** One of these characters. */
    static CharSet anyOf(String chars) {
        int[] cps = chars.codePoints().toArray();
        int[] pairs = new int[cps.length * 2];
        for (int i = 0; i < cps.length; i++) {
            pairs[2 * i] = cps[i];
            pairs[2 * i + 1] = cps[i];
        }
        return new CharSet(pairs);
    }

    /** Any code point. */
    CharSet ANY_CHAR = new CharSet(new int[]{0, Character.MAX_CODE_POINT});
}
