package dev.iris.runtime.grammar;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the EBNF notation of the {@code ebnf} constraint (GBNF, as llama.cpp and xgrammar write
 * it) into a {@link Grammar}: rules {@code name ::= expression}, the whole text matching
 * {@code root}. An expression has string literals in either quote, character classes
 * {@code [a-z]} and {@code [^…]}, {@code .} for any character, rule names, grouping, {@code |},
 * and {@code * + ? {m} {m,} {m,n}} after an element. Strings and classes take C escapes and
 * code points in hex (a backslash, then x, u or U and 2, 4 or 8 digits). Whitespace and line
 * breaks only separate: a rule runs on until the next {@code name ::=}. {@code #} comments run to
 * the end of the line.
 */
public final class EbnfGrammar {

    /** The largest count a {@code {m,n}} may name: bounded repetitions are unrolled when compiling. */
    private static final int MAX_REPEAT = 1000;
    /** The deepest nesting of parentheses: parsing and compiling recurse once per level. */
    private static final int MAX_NESTING = 200;

    private final String text;
    private int pos;
    private int nesting;
    private final Map<String, Expr> rules = new LinkedHashMap<>();
    private final Map<String, Integer> definedAt = new LinkedHashMap<>();
    private final Map<String, Integer> firstUseAt = new LinkedHashMap<>();

    private EbnfGrammar(String text) {
        this.text = text;
    }

    /** Parses a grammar; a {@link GrammarException} names what is wrong and where. */
    public static Grammar parse(String text) {
        return new EbnfGrammar(text).grammar();
    }

    private Grammar grammar() {
        skipSpace();
        if (atEnd()) {
            throw new GrammarException("the EBNF grammar is empty: it defines no rules");
        }
        while (!atEnd()) {
            rule();
        }
        for (Map.Entry<String, Integer> use : firstUseAt.entrySet()) {
            if (!rules.containsKey(use.getKey())) {
                throw error(use.getValue(), "undefined rule '" + use.getKey() + "'");
            }
        }
        return new Grammar(rules, "root");
    }

    private void rule() {
        int start = pos;
        String name = name();
        if (name == null) {
            throw error(pos, "expected a rule name, found " + found());
        }
        skipSpace();
        if (!text.startsWith("::=", pos)) {
            throw error(pos, "expected '::=' after the rule name '" + name + "', found " + found());
        }
        pos += 3;
        Integer earlier = definedAt.putIfAbsent(name, start);
        if (earlier != null) {
            throw error(start, "rule '" + name + "' is defined twice (first at " + place(earlier) + ")");
        }
        rules.put(name, alternatives());
        if (atEnd() || ruleStartsHere()) {
            return;
        }
        int c = text.codePointAt(pos);
        if (c == ')') {
            throw error(pos, "unexpected ')': no '(' is open");
        }
        if ("*+?{".indexOf(c) >= 0) {
            throw error(pos, found() + " has nothing before it to repeat"
                    + " (to repeat a repetition, put it in parentheses)");
        }
        throw error(pos, "expected an element, '|' or a new rule 'name ::=', found " + found());
    }

    private Expr alternatives() {
        List<Expr> options = new ArrayList<>(List.of(sequence()));
        while (!atEnd() && text.charAt(pos) == '|') {
            pos++;
            options.add(sequence());
        }
        return options.size() == 1 ? options.getFirst() : new Expr.Alt(options);
    }

    /** Elements up to whatever cannot start one ({@code |}, {@code )}, a new rule, the end). */
    private Expr sequence() {
        List<Expr> items = new ArrayList<>();
        while (true) {
            skipSpace();
            Expr e = element();
            if (e == null) {
                break;
            }
            items.add(quantified(e));
        }
        return switch (items.size()) {
            case 0 -> Expr.EMPTY;
            case 1 -> items.getFirst();
            default -> new Expr.Seq(items);
        };
    }

    /** The element starting here, or null when none does. */
    private Expr element() {
        if (atEnd()) {
            return null;
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '"', '\'' -> string();
            case '[' -> charClass();
            case '(' -> group();
            case '.' -> {
                pos++;
                yield Expr.ANY_CHAR;
            }
            default -> {
                if (!isNameStart(c) || ruleStartsHere()) {
                    yield null;
                }
                int at = pos;
                String name = name();
                firstUseAt.putIfAbsent(name, at);
                yield Expr.ref(name);
            }
        };
    }

    private Expr group() {
        int open = pos++;
        if (++nesting > MAX_NESTING) {
            throw error(open, "parentheses are nested more than " + MAX_NESTING + " deep");
        }
        Expr inner = alternatives();
        if (atEnd() || text.charAt(pos) != ')') {
            throw error(pos, "expected ')' to close the '(' at " + place(open) + ", found " + found());
        }
        pos++;
        nesting--;
        return inner;
    }

    /** The element with the one repetition operator that may follow it. */
    private Expr quantified(Expr e) {
        skipSpace();
        if (atEnd()) {
            return e;
        }
        switch (text.charAt(pos)) {
            case '*' -> {
                pos++;
                return Expr.star(e);
            }
            case '+' -> {
                pos++;
                return Expr.plus(e);
            }
            case '?' -> {
                pos++;
                return Expr.optional(e);
            }
            case '{' -> {
                return counted(e);
            }
            default -> {
                return e;
            }
        }
    }

    /** {@code {m}}, {@code {m,}} or {@code {m,n}}. */
    private Expr counted(Expr e) {
        int open = pos++;
        skipSpace();
        int min = count();
        skipSpace();
        int max = min;
        if (!atEnd() && text.charAt(pos) == ',') {
            pos++;
            skipSpace();
            max = !atEnd() && text.charAt(pos) == '}' ? Expr.UNBOUNDED : count();
            skipSpace();
        }
        if (atEnd() || text.charAt(pos) != '}') {
            throw error(pos, "expected ',' or '}' in the repetition opened at " + place(open) + ", found " + found());
        }
        pos++;
        if (max != Expr.UNBOUNDED && max < min) {
            throw error(open, "repetition {" + min + "," + max + "} has its maximum below its minimum");
        }
        return new Expr.Repeat(e, min, max);
    }

    private int count() {
        int start = pos;
        long value = 0;
        while (!atEnd() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            value = Math.min(value * 10 + (text.charAt(pos++) - '0'), Integer.MAX_VALUE);
        }
        if (pos == start) {
            throw error(pos, "expected a repetition count, found " + found());
        }
        if (value > MAX_REPEAT) {
            throw error(start, "repetition count " + text.substring(start, pos)
                    + " is above the limit of " + MAX_REPEAT);
        }
        return (int) value;
    }

    private Expr string() {
        int open = pos;
        int quote = text.charAt(pos++);
        StringBuilder out = new StringBuilder();
        while (true) {
            if (atEnd() || isLineBreak(text.charAt(pos))) {
                throw error(open, "unterminated string: no closing " + (char) quote + " on its line");
            }
            if (text.charAt(pos) == quote) {
                pos++;
                return Expr.literal(out.toString());
            }
            out.appendCodePoint(character());
        }
    }

    private Expr charClass() {
        int open = pos++;
        boolean negated = !atEnd() && text.charAt(pos) == '^';
        if (negated) {
            pos++;
        }
        List<Integer> ranges = new ArrayList<>();
        while (true) {
            if (atEnd() || isLineBreak(text.charAt(pos))) {
                throw error(open, "unterminated character class: no closing ']' on its line");
            }
            if (text.charAt(pos) == ']') {
                pos++;
                break;
            }
            int at = pos;
            int lo = character();
            int hi = lo;
            // A '-' right before ']' is itself a member, as in [a-].
            if (text.startsWith("-", pos) && pos + 1 < text.length() && text.charAt(pos + 1) != ']'
                    && !isLineBreak(text.charAt(pos + 1))) {
                pos++;
                hi = character();
                if (hi < lo) {
                    throw error(at, "character range " + text.substring(at, pos) + " runs backwards");
                }
            }
            ranges.add(lo);
            ranges.add(hi);
        }
        Expr.CharSet set = new Expr.CharSet(ranges.stream().mapToInt(Integer::intValue).toArray());
        return negated ? set.negate() : set;
    }

    /** One character of a string or class, written as itself or as an escape. */
    private int character() {
        int at = pos;
        int c = text.codePointAt(pos);
        pos += Character.charCount(c);
        if (c != '\\') {
            return scalar(c, at);
        }
        if (atEnd()) {
            throw error(at, "a '\\' ends the grammar");
        }
        char e = text.charAt(pos++);
        return switch (e) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'f' -> '\f';
            case 'v' -> 0x0B;
            case 'b' -> '\b';
            case 'a' -> 0x07;
            case 'e' -> 0x1B;
            case '0' -> 0;
            case '\\', '"', '\'', '?', '[', ']', '-', '^' -> e;
            case 'x' -> scalar(hex(2, at), at);
            case 'u' -> scalar(hex(4, at), at);
            case 'U' -> scalar(hex(8, at), at);
            default -> throw error(at, "unknown escape '\\" + e + "'");
        };
    }

    private int hex(int digits, int escapeAt) {
        long value = 0;
        for (int i = 0; i < digits; i++) {
            int d = atEnd() ? -1 : Character.digit(text.charAt(pos), 16);
            if (d < 0) {
                throw error(escapeAt, "the escape '" + text.substring(escapeAt, escapeAt + 2) + "' needs "
                        + digits + " hex digits");
            }
            value = value * 16 + d;
            pos++;
        }
        return value > Character.MAX_CODE_POINT ? -1 : (int) value;
    }

    /** The code point, if UTF-8 can carry it. */
    private int scalar(int c, int at) {
        if (c < 0) {
            throw error(at, "'" + text.substring(at, pos) + "' is above U+10FFFF, the last code point");
        }
        if (c <= 0xFFFF && Character.isSurrogate((char) c)) {
            throw error(at, String.format("U+%04X is a surrogate, not a character UTF-8 can encode", c));
        }
        return c;
    }

    /** A rule name here, or null; the position moves past it. */
    private String name() {
        if (atEnd() || !isNameStart(text.charAt(pos))) {
            return null;
        }
        int start = pos++;
        while (!atEnd() && (isNameStart(text.charAt(pos)) || isDigit(text.charAt(pos)) || text.charAt(pos) == '-')) {
            pos++;
        }
        return text.substring(start, pos);
    }

    /** Whether {@code name ::=} starts here: the end of the rule before it. */
    private boolean ruleStartsHere() {
        int saved = pos;
        boolean yes = name() != null;
        if (yes) {
            skipSpace();
            yes = text.startsWith("::=", pos);
        }
        pos = saved;
        return yes;
    }

    private void skipSpace() {
        while (!atEnd()) {
            char c = text.charAt(pos);
            if (c == '#') {
                while (!atEnd() && !isLineBreak(text.charAt(pos))) {
                    pos++;
                }
            } else if (c == ' ' || c == '\t' || isLineBreak(c)) {
                pos++;
            } else {
                return;
            }
        }
    }

    private boolean atEnd() {
        return pos >= text.length();
    }

    private static boolean isNameStart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isLineBreak(char c) {
        return c == '\n' || c == '\r';
    }

    private String found() {
        if (atEnd()) {
            return "the end of the grammar";
        }
        int c = text.codePointAt(pos);
        return isLineBreak((char) c) ? "a line break" : "'" + Character.toString(c) + "'";
    }

    private GrammarException error(int at, String what) {
        return new GrammarException("EBNF grammar, " + place(at) + ": " + what);
    }

    /** {@code line L:C}, both from 1, the column in code points. */
    private String place(int at) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < at; i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return "line " + line + ":" + (text.codePointCount(lineStart, at) + 1);
    }
}
