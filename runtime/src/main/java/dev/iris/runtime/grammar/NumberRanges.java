package dev.iris.runtime.grammar;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON numbers as expressions, and numbers within bounds: the digit-by-digit construction of a
 * regular language for a numeric range. Bounded numbers are written without an exponent (a sound
 * subset: every text matched is in range), integers without leading zeros and never as {@code -0}.
 */
final class NumberRanges {

    private static final Expr.CharSet DIGIT = Expr.range('0', '9');
    private static final Expr.CharSet NONZERO = Expr.range('1', '9');
    private static final Expr DIGITS = Expr.plus(DIGIT);

    /** {@code -?(0|[1-9][0-9]*)}. */
    static final Expr INTEGER = Expr.seq(Expr.optional(Expr.literal("-")),
            Expr.alt(Expr.literal("0"), Expr.seq(NONZERO, Expr.star(DIGIT))));
    /** JSON's number: an integer, an optional fraction, an optional exponent. */
    static final Expr NUMBER = Expr.seq(INTEGER,
            Expr.optional(Expr.seq(Expr.literal("."), DIGITS)),
            Expr.optional(Expr.seq(Expr.anyOf("eE"), Expr.optional(Expr.anyOf("+-")), DIGITS)));

    private NumberRanges() {
    }

    /** Integers in {@code [lo, hi]} (null: unbounded); null when there are none. */
    static Expr integers(BigInteger lo, BigInteger hi) {
        List<Expr> options = new ArrayList<>();
        if (hi == null || hi.signum() >= 0) {
            add(options, naturals(lo == null ? BigInteger.ZERO : lo.max(BigInteger.ZERO), hi));
        }
        if (lo == null || lo.signum() < 0) {
            BigInteger from = hi == null || hi.signum() >= 0 ? BigInteger.ONE : hi.negate();
            Expr magnitude = naturals(from, lo == null ? null : lo.negate());
            add(options, magnitude == null ? null : Expr.seq(Expr.literal("-"), magnitude));
        }
        return alt(options);
    }

    /**
     * Numbers {@code x} with {@code lo ≤ x ≤ hi} ({@code <} where exclusive; null: unbounded), as
     * {@code -?int(.digits)?}; null when there are none.
     */
    static Expr decimals(BigDecimal lo, boolean loExclusive, BigDecimal hi, boolean hiExclusive) {
        List<Expr> options = new ArrayList<>();
        if (hi == null || hi.signum() >= 0) {
            boolean fromZero = lo == null || lo.signum() < 0;
            add(options, magnitude(fromZero ? BigDecimal.ZERO : lo, !fromZero && loExclusive, hi, hiExclusive));
        }
        if (lo == null || lo.signum() < 0) {
            // x < 0 as "-" and a magnitude m = -x > 0: lo ≤ x becomes m ≤ -lo, x ≤ hi becomes m ≥ -hi.
            boolean toZero = hi == null || hi.signum() >= 0;
            Expr m = magnitude(toZero ? BigDecimal.ZERO : hi.negate(), toZero || hiExclusive,
                    lo == null ? null : lo.negate(), loExclusive);
            add(options, m == null ? null : Expr.seq(Expr.literal("-"), m));
        }
        return alt(options);
    }

    private static void add(List<Expr> options, Expr e) {
        if (e != null) {
            options.add(e);
        }
    }

    private static Expr alt(List<Expr> options) {
        return options.isEmpty() ? null : Expr.alt(options.toArray(Expr[]::new));
    }

    /** Non-negative numbers in range, without sign: the integer part and the fraction bounded separately. */
    private static Expr magnitude(BigDecimal lo, boolean loEx, BigDecimal hi, boolean hiEx) {
        if (hi != null && (lo.compareTo(hi) > 0 || (lo.compareTo(hi) == 0 && (loEx || hiEx)))) {
            return null;
        }
        BigInteger loInt = lo.toBigInteger();
        String loFrac = fractionDigits(lo);
        List<Expr> options = new ArrayList<>();
        if (hi != null && hi.toBigInteger().equals(loInt)) {
            add(options, then(Expr.literal(loInt.toString()), fraction(loFrac, loEx, fractionDigits(hi), hiEx)));
            return alt(options);
        }
        add(options, then(Expr.literal(loInt.toString()), fraction(loFrac, loEx, null, false)));
        BigInteger hiInt = hi == null ? null : hi.toBigInteger();
        Expr between = naturals(loInt.add(BigInteger.ONE), hiInt == null ? null : hiInt.subtract(BigInteger.ONE));
        add(options, then(between, fraction(null, false, null, false)));
        if (hi != null) {
            add(options, then(Expr.literal(hiInt.toString()), fraction(null, false, fractionDigits(hi), hiEx)));
        }
        return alt(options);
    }

    private static Expr then(Expr a, Expr b) {
        return a == null || b == null ? null : Expr.seq(a, b);
    }

    /** The digits after the point of a non-negative value, trailing zeros dropped ("" for an integer). */
    private static String fractionDigits(BigDecimal v) {
        String s = v.remainder(BigDecimal.ONE).stripTrailingZeros().toPlainString();
        return s.equals("0") ? "" : s.substring(2);
    }

    /** The optional {@code .digits} of a value whose fraction {@code 0.d} lies between the bounds; null when none does. */
    private static Expr fraction(String lo, boolean loEx, String hi, boolean hiEx) {
        Digits d = digits(lo, loEx, hi, hiEx);
        Expr dotted = d.nonEmpty == null ? null : Expr.seq(Expr.literal("."), d.nonEmpty);
        if (d.empty) {
            return dotted == null ? Expr.EMPTY : Expr.optional(dotted);
        }
        return dotted;
    }

    /** Digit strings d with {@code 0.d} within bounds: whether the empty one is, and the non-empty ones (null: none). */
    private record Digits(boolean empty, Expr nonEmpty) {
        Expr any() {
            if (nonEmpty == null) {
                return empty ? Expr.EMPTY : null;
            }
            return empty ? Expr.optional(nonEmpty) : nonEmpty;
        }
    }

    /**
     * Fraction digits above {@code lo} and below {@code hi} (digit strings without trailing zeros,
     * null: unbounded). Each digit read either settles a bound or shortens it, so this recurses
     * over the bounds' lengths; the cases where a bound of 0 stays 0 are closed forms.
     */
    private static Digits digits(String lo, boolean loEx, String hi, boolean hiEx) {
        boolean loZero = lo != null && lo.isEmpty();
        boolean hiZero = hi != null && hi.isEmpty();
        if ((lo == null || loZero) && (hi == null || hiZero)) {
            if (hiZero) {
                boolean zeroOk = !hiEx && !(loZero && loEx);
                return new Digits(zeroOk, zeroOk ? Expr.plus(Expr.literal("0")) : null);
            }
            if (loZero && loEx) { // above zero: some digit is not 0
                return new Digits(false, Expr.seq(Expr.star(Expr.literal("0")), NONZERO, Expr.star(DIGIT)));
            }
            return new Digits(true, DIGITS);
        }
        boolean empty = (lo == null || (loZero && !loEx)) && (hi == null || !hiZero || !hiEx);
        List<Expr> options = new ArrayList<>();
        int c = 0;
        while (c <= 9) {
            Next next = next(c, lo, hi);
            int to = c;
            while (to < 9 && next.equals(next(to + 1, lo, hi))) {
                to++;
            }
            if (next.possible) {
                Expr rest = digits(next.lo, loEx, next.hi, hiEx).any();
                if (rest != null) {
                    options.add(Expr.seq(Expr.range('0' + c, '0' + to), rest));
                }
            }
            c = to + 1;
        }
        return new Digits(empty, alt(options));
    }

    /** The bounds left for the digits after digit {@code c}; a settled bound becomes null. */
    private record Next(boolean possible, String lo, String hi) {
    }

    private static Next next(int c, String lo, String hi) {
        String nextLo = null;
        if (lo != null) {
            int first = lo.isEmpty() ? 0 : lo.charAt(0) - '0';
            if (c < first) {
                return new Next(false, null, null);
            }
            nextLo = c > first ? null : lo.isEmpty() ? "" : lo.substring(1);
        }
        String nextHi = null;
        if (hi != null) {
            int first = hi.isEmpty() ? 0 : hi.charAt(0) - '0';
            if (c > first) {
                return new Next(false, null, null);
            }
            nextHi = c < first ? null : hi.isEmpty() ? "" : hi.substring(1);
        }
        return new Next(true, nextLo, nextHi);
    }

    /** Non-negative integers in {@code [a, b]} (b null: unbounded), without leading zeros; null when none. */
    private static Expr naturals(BigInteger a, BigInteger b) {
        String as = a.toString();
        if (b == null) {
            int n = as.length();
            return Expr.alt(sameLength(as, "9".repeat(n)),
                    Expr.seq(NONZERO, new Expr.Repeat(DIGIT, n, Expr.UNBOUNDED)));
        }
        if (a.compareTo(b) > 0) {
            return null;
        }
        String bs = b.toString();
        List<Expr> options = new ArrayList<>();
        for (int n = as.length(); n <= bs.length(); n++) {
            String from = n == as.length() ? as : "1" + "0".repeat(n - 1);
            String to = n == bs.length() ? bs : "9".repeat(n);
            options.add(sameLength(from, to));
        }
        return alt(options);
    }

    /** Digit strings of one length from {@code x} to {@code y} (x ≤ y). */
    private static Expr sameLength(String x, String y) {
        if (x.isEmpty()) {
            return Expr.EMPTY;
        }
        char x0 = x.charAt(0);
        char y0 = y.charAt(0);
        String xs = x.substring(1);
        String ys = y.substring(1);
        if (x0 == y0) {
            return Expr.seq(Expr.literal(String.valueOf(x0)), sameLength(xs, ys));
        }
        int n = xs.length();
        List<Expr> options = new ArrayList<>();
        int lo = x0;
        int hi = y0;
        if (!xs.equals("0".repeat(n))) {
            options.add(Expr.seq(Expr.literal(String.valueOf(x0)), sameLength(xs, "9".repeat(n))));
            lo++;
        }
        Expr upper = null;
        if (!ys.equals("9".repeat(n))) {
            upper = Expr.seq(Expr.literal(String.valueOf(y0)), sameLength("0".repeat(n), ys));
            hi--;
        }
        if (lo <= hi) {
            options.add(n == 0 ? Expr.range(lo, hi) : Expr.seq(Expr.range(lo, hi), new Expr.Repeat(DIGIT, n, n)));
        }
        add(options, upper);
        return alt(options);
    }
}
