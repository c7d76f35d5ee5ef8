package dev.iris.runtime.grammar;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Regular expressions in the dialect SGLang's {@code regex} constraint accepts (the subset of
 * Python {@code re} that outlines/interegular handle) as an {@link Expr} matched against the whole
 * output. Classes are ASCII ({@code \d} is {@code [0-9]}, as outlines has it); lazy quantifiers
 * match the same language as greedy ones; named groups may also be written {@code (?<name>…)}, as
 * JSON Schema's ECMA-262 patterns write them. Anchors are allowed where they change nothing for a
 * whole-text match: {@code ^} opening and {@code $} closing a top-level alternative. Everything
 * else that a language-level translation cannot enforce (backreferences, lookaround, word
 * boundaries, inline flags) is refused with a {@link GrammarException} naming it and its position.
 */
public final class RegexGrammar {

    /** Counted repetitions above this are refused: they are unrolled into automaton states. */
    static final int MAX_COUNT = 1000;

    private static final Expr.CharSet DIGIT = Expr.range('0', '9');
    private static final Expr.CharSet WORD = new Expr.CharSet(new int[]{'0', '9', 'A', 'Z', '_', '_', 'a', 'z'});
    private static final Expr.CharSet SPACE = Expr.anyOf(" \t\n\r\f\u000B");
    private static final Expr.CharSet DOT = Expr.anyOf("\n").negate();

    private final String src;
    private int pos;

    private RegexGrammar(String src) {
        this.src = src;
    }

    /** The regex as an expression over the whole text. */
    public static Expr parse(String regex) {
        RegexGrammar p = new RegexGrammar(regex);
        List<Expr> branches = new ArrayList<>();
        do {
            p.eat('^');
            branches.add(p.concat(true));
            p.eat('$');
        } while (p.eat('|'));
        if (p.pos < regex.length()) {
            throw p.error("unbalanced ')'", p.pos);
        }
        return Expr.alt(branches.toArray(Expr[]::new));
    }

    /** A grammar of one rule matching exactly the texts the regex matches as a whole. */
    public static Grammar grammar(String regex) {
        return Grammar.of(parse(regex));
    }

    private GrammarException error(String what, int at) {
        return new GrammarException(what + " at position " + at + " of regex " + quoted());
    }

    private String quoted() {
        return '\'' + (src.length() <= 80 ? src : src.substring(0, 77) + "...") + '\'';
    }

    private boolean more() {
        return pos < src.length();
    }

    private int peek() {
        return src.codePointAt(pos);
    }

    private int next() {
        int c = src.codePointAt(pos);
        pos += Character.charCount(c);
        return c;
    }

    private boolean eat(char c) {
        if (more() && src.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private Expr alternation() {
        List<Expr> options = new ArrayList<>();
        do {
            options.add(concat(false));
        } while (eat('|'));
        return Expr.alt(options.toArray(Expr[]::new));
    }

    /** Items up to {@code |}, {@code )} or the end; at top level also up to a closing {@code $}. */
    private Expr concat(boolean topLevel) {
        List<Expr> items = new ArrayList<>();
        while (more()) {
            int c = peek();
            if (c == '|' || c == ')') {
                break;
            }
            if (c == '$' && topLevel && (pos + 1 == src.length() || src.charAt(pos + 1) == '|')) {
                break;
            }
            Expr item = quantified(atom());
            if (item instanceof Expr.Literal l && !items.isEmpty() && items.getLast() instanceof Expr.Literal prev) {
                items.set(items.size() - 1, new Expr.Literal(concat(prev.bytes(), l.bytes())));
            } else {
                items.add(item);
            }
        }
        return items.size() == 1 ? items.getFirst() : new Expr.Seq(items);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private Expr atom() {
        int at = pos;
        int c = next();
        return switch (c) {
            case '(' -> group(at);
            case '[' -> charClass(at);
            case '.' -> DOT;
            case '\\' -> escape(at);
            case '*', '+', '?' -> throw error("nothing to repeat: quantifier '" + (char) c + "'", at);
            case '{' -> {
                pos = at;
                if (counted() != null) {
                    throw error("nothing to repeat: quantifier '" + src.substring(at, pos) + "'", at);
                }
                pos = at + 1;
                yield Expr.literal("{");
            }
            case '^' -> throw error("anchor '^' is only supported at the start of the regex", at);
            case '$' -> throw error("anchor '$' is only supported at the end of the regex", at);
            default -> literal(c);
        };
    }

    /** One code point; a lone surrogate can never be UTF-8 text, so it becomes a set that matches nothing. */
    private static Expr literal(int cp) {
        return cp <= 0xFFFF && Character.isSurrogate((char) cp) ? Expr.range(cp, cp) : Expr.literal(Character.toString(cp));
    }

    private Expr quantified(Expr atom) {
        int at = pos;
        int min;
        int max;
        if (eat('*')) {
            min = 0;
            max = Expr.UNBOUNDED;
        } else if (eat('+')) {
            min = 1;
            max = Expr.UNBOUNDED;
        } else if (eat('?')) {
            min = 0;
            max = 1;
        } else {
            int[] counts = counted();
            if (counts == null) {
                return atom;
            }
            min = counts[0];
            max = counts[1];
        }
        eat('?'); // lazy: the same language
        if (more() && peek() == '+') {
            throw error("possessive quantifier '" + src.substring(at, pos + 1) + "' is not supported", at);
        }
        int after = pos;
        if (more() && ("*+?".indexOf(peek()) >= 0 || counted() != null)) {
            throw error("multiple repeat: quantifier '" + src.substring(after, pos == after ? after + 1 : pos) + "'", after);
        }
        pos = after;
        return new Expr.Repeat(atom, min, max);
    }

    /**
     * A counted quantifier {@code {n}}, {@code {n,}}, {@code {,m}}, {@code {n,m}} at the position,
     * consumed; null (nothing consumed) when the brace is not one, which Python reads as a literal.
     */
    private int[] counted() {
        int at = pos;
        if (!eat('{')) {
            return null;
        }
        String lo = digits();
        String hi = lo;
        boolean comma = eat(',');
        if (comma) {
            hi = digits();
        }
        if (!eat('}') || (lo.isEmpty() && !comma)) {
            pos = at;
            return null;
        }
        int min = lo.isEmpty() ? 0 : count(lo, at);
        int max = hi.isEmpty() ? Expr.UNBOUNDED : count(hi, at);
        if (max != Expr.UNBOUNDED && max < min) {
            throw error("bad repetition " + src.substring(at, pos) + ": the minimum exceeds the maximum", at);
        }
        return new int[]{min, max};
    }

    private String digits() {
        int from = pos;
        while (more() && src.charAt(pos) >= '0' && src.charAt(pos) <= '9') {
            pos++;
        }
        return src.substring(from, pos);
    }

    private int count(String digits, int at) {
        BigInteger n = new BigInteger(digits);
        if (n.compareTo(BigInteger.valueOf(MAX_COUNT)) > 0) {
            throw error("counted repetition " + src.substring(at, pos) + " exceeds the limit of " + MAX_COUNT, at);
        }
        return n.intValue();
    }

    /** A group, its {@code (} read: capturing, {@code (?:…)} or named; other {@code (?…} forms are refused. */
    private Expr group(int at) {
        if (eat('?') && !eat(':')) {
            boolean named = src.startsWith("P<", pos)
                    || src.startsWith("<", pos) && !src.startsWith("<=", pos) && !src.startsWith("<!", pos);
            if (!named) {
                throw error(unsupportedGroup(), at);
            }
            pos += src.charAt(pos) == 'P' ? 2 : 1;
            int nameAt = pos;
            while (more() && (Character.isLetterOrDigit(peek()) || peek() == '_')) {
                next();
            }
            String name = src.substring(nameAt, pos);
            if (name.isEmpty() || Character.isDigit(name.charAt(0)) || !eat('>')) {
                throw error("bad group name", nameAt);
            }
        }
        Expr inner = alternation();
        if (!eat(')')) {
            throw error("missing ')' for the group opened", at);
        }
        return inner;
    }

    /** Names the {@code (?…} construct at the position (just past the {@code ?}). */
    private String unsupportedGroup() {
        String rest = src.substring(pos);
        if (rest.startsWith("P=")) {
            return "backreference '(?P=' is not supported";
        }
        if (rest.startsWith("=") || rest.startsWith("!")) {
            return "lookahead '(?" + rest.charAt(0) + "' is not supported";
        }
        if (rest.startsWith("<=") || rest.startsWith("<!")) {
            return "lookbehind '(?" + rest.substring(0, 2) + "' is not supported";
        }
        if (rest.startsWith(">")) {
            return "atomic group '(?>' is not supported";
        }
        if (rest.startsWith("(")) {
            return "conditional group '(?(' is not supported";
        }
        if (rest.startsWith("#")) {
            return "comment group '(?#' is not supported";
        }
        if (!rest.isEmpty() && (Character.isLetter(rest.charAt(0)) || rest.charAt(0) == '-')) {
            return "inline flags '(?" + rest.charAt(0) + "' are not supported";
        }
        return "unsupported group '(?" + (rest.isEmpty() ? "" : rest.substring(0, 1)) + "'";
    }

    /** {@code \d \D \w \W \s \S} (ASCII classes, as outlines reads them), or null for another letter. */
    private static Expr.CharSet shorthand(int c) {
        return switch (c) {
            case 'd' -> DIGIT;
            case 'D' -> DIGIT.negate();
            case 'w' -> WORD;
            case 'W' -> WORD.negate();
            case 's' -> SPACE;
            case 'S' -> SPACE.negate();
            default -> null;
        };
    }

    private Expr escape(int at) {
        if (!more()) {
            throw error("bad escape (end of regex)", at);
        }
        int c = next();
        Expr.CharSet shorthand = shorthand(c);
        if (shorthand != null) {
            return shorthand;
        }
        return switch (c) {
            case 'b', 'B' -> throw error("word boundary '\\" + (char) c + "' is not supported", at);
            case 'A', 'Z', 'z', 'G' -> throw error("anchor '\\" + (char) c + "' is not supported", at);
            case '1', '2', '3', '4', '5', '6', '7', '8', '9' -> throw error("backreference '\\" + (char) c + "' is not supported", at);
            default -> literal(escapedChar(c, at));
        };
    }

    /** The code point of a single-character escape (the backslash at {@code at}, {@code c} read). */
    private int escapedChar(int c, int at) {
        return switch (c) {
            case 'n' -> '\n';
            case 't' -> '\t';
            case 'r' -> '\r';
            case 'f' -> '\f';
            case 'v' -> 0x0B;
            case 'a' -> 0x07;
            case '0' -> {
                int v = 0;
                for (int i = 0; i < 2 && more() && peek() >= '0' && peek() <= '7'; i++) {
                    v = v * 8 + next() - '0';
                }
                yield v;
            }
            case 'x' -> hex(2, at);
            case 'u' -> hex(4, at);
            case 'U' -> hex(8, at);
            default -> {
                if (c < 0x80 && Character.isLetterOrDigit(c)) {
                    throw error("bad escape '\\" + (char) c + "'", at);
                }
                yield c; // an escaped metacharacter or other punctuation stands for itself
            }
        };
    }

    private int hex(int digits, int at) {
        if (pos + digits > src.length()) {
            throw error("bad escape '" + src.substring(at) + "': expected " + digits + " hex digits", at);
        }
        String h = src.substring(pos, pos + digits);
        if (!h.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
            throw error("bad escape '" + src.substring(at, pos + digits) + "': expected " + digits + " hex digits", at);
        }
        long v = Long.parseLong(h, 16);
        if (v > Character.MAX_CODE_POINT) {
            throw error("bad escape '" + src.substring(at, pos + digits) + "': not a code point", at);
        }
        pos += digits;
        return (int) v;
    }

    private Expr charClass(int at) {
        boolean negated = eat('^');
        List<Integer> ranges = new ArrayList<>();
        boolean first = true;
        while (true) {
            if (!more()) {
                throw error("unterminated character class", at);
            }
            if (peek() == ']' && !first) {
                pos++;
                break;
            }
            first = false;
            int itemAt = pos;
            Expr.CharSet set = classItem();
            boolean range = more() && peek() == '-' && pos + 1 < src.length() && src.charAt(pos + 1) != ']';
            if (!range) {
                for (int r : set.ranges()) {
                    ranges.add(r);
                }
                continue;
            }
            pos++;
            Expr.CharSet hiSet = classItem();
            int[] lo = set.ranges();
            int[] hi = hiSet.ranges();
            if (lo.length != 2 || lo[0] != lo[1] || hi.length != 2 || hi[0] != hi[1]) {
                throw error("bad character range '" + src.substring(itemAt, pos) + "'", itemAt);
            }
            if (hi[0] < lo[0]) {
                throw error("bad character range '" + src.substring(itemAt, pos) + "': the start is after the end", itemAt);
            }
            ranges.add(lo[0]);
            ranges.add(hi[0]);
        }
        Expr.CharSet set = new Expr.CharSet(ranges.stream().mapToInt(Integer::intValue).toArray());
        return negated ? set.negate() : set;
    }

    /** One character or class escape inside brackets, as a set. */
    private Expr.CharSet classItem() {
        int at = pos;
        int c = next();
        if (c != '\\') {
            return Expr.range(c, c);
        }
        if (!more()) {
            throw error("unterminated character class", at);
        }
        int e = next();
        Expr.CharSet shorthand = shorthand(e);
        if (shorthand != null) {
            return shorthand;
        }
        return switch (e) {
            case 'b' -> Expr.range(0x08, 0x08); // backspace inside a class, as in Python
            default -> {
                int cp = escapedChar(e, at);
                yield Expr.range(cp, cp);
            }
        };
    }
}
