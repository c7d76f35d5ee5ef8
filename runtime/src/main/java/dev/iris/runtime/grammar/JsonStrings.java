package dev.iris.runtime.grammar;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON string syntax as expressions: one character (raw or escaped), a given string spelled as
 * JSON, object keys other than given names, and a regex over characters re-spelled as string
 * content.
 */
final class JsonStrings {

    /** The characters a JSON string holds unescaped: all but {@code "}, {@code \} and U+0000–U+001F. */
    static final Expr.CharSet RAW = new Expr.CharSet(new int[]{0x20, 0x21, 0x23, 0x5B, 0x5D, Character.MAX_CODE_POINT});

    private static final Expr.CharSet HEX = new Expr.CharSet(new int[]{'0', '9', 'A', 'F', 'a', 'f'});

    /**
     * One character of string content: raw, a short escape, or a hex escape of one code point (a
     * surrogate pair together, never a lone surrogate), so counting these counts characters as
     * JSON Schema does.
     */
    static final Expr CHAR = Expr.alt(RAW, Expr.seq(Expr.literal("\\"), Expr.alt(
            Expr.anyOf("\"\\/bfnrt"),
            Expr.seq(Expr.literal("u"), Expr.alt(
                    Expr.seq(new Expr.CharSet(new int[]{'0', '9', 'A', 'C', 'E', 'F', 'a', 'c', 'e', 'f'}), HEX, HEX, HEX),
                    Expr.seq(Expr.anyOf("Dd"), Expr.range('0', '7'), HEX, HEX),
                    Expr.seq(Expr.anyOf("Dd"), Expr.anyOf("89ABab"), HEX, HEX,
                            Expr.literal("\\u"), Expr.anyOf("Dd"), new Expr.CharSet(new int[]{'C', 'F', 'c', 'f'}), HEX, HEX))))));

    private JsonStrings() {
    }

    /** The string as JSON text, quotes included, escaping only what must be (as Jackson writes it). */
    static String quote(String s) {
        return '"' + escape(s) + '"';
    }

    /** The string as JSON string content; a lone surrogate, not UTF-8 text, is written as its escape. */
    private static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) {
                        out.append(String.format("\\u%04X", cp));
                    } else {
                        out.appendCodePoint(cp);
                    }
                }
            }
        }
        return out.toString();
    }

    /**
     * A quoted key that is none of {@code names}, written with raw characters only (no escapes),
     * so that no spelling of a listed name slips through as another key: a trie of the names, at
     * each node any character off the trie leading anywhere.
     */
    static Expr keyOtherThan(Collection<String> names) {
        Trie root = new Trie();
        for (String name : names) {
            if (name.codePoints().allMatch(RAW::contains)) { // others need escapes: no raw key spells them
                root.add(name);
            }
        }
        return Expr.seq(Expr.literal("\""), root.otherThan(), Expr.literal("\""));
    }

    private static final class Trie {
        final Map<Integer, Trie> children = new TreeMap<>();
        boolean terminal;

        void add(String name) {
            Trie at = this;
            for (int cp : name.codePoints().toArray()) {
                at = at.children.computeIfAbsent(cp, k -> new Trie());
            }
            at.terminal = true;
        }

        /** Raw strings that, read from this node, do not end on a name. */
        Expr otherThan() {
            List<Expr> options = new ArrayList<>();
            if (!terminal) {
                options.add(Expr.EMPTY);
            }
            List<Integer> used = new ArrayList<>();
            for (Map.Entry<Integer, Trie> e : children.entrySet()) {
                options.add(Expr.seq(Expr.literal(Character.toString(e.getKey())), e.getValue().otherThan()));
                used.add(e.getKey());
                used.add(e.getKey());
            }
            Expr.CharSet off = intersect(RAW, new Expr.CharSet(used.stream().mapToInt(Integer::intValue).toArray()).negate());
            options.add(Expr.seq(off, Expr.star(RAW)));
            return Expr.alt(options.toArray(Expr[]::new));
        }
    }

    /**
     * A regex over decoded characters re-spelled over string content: characters a string holds
     * raw stay, the others become their one escape, so the decoded string matches the regex.
     */
    static Expr content(Expr regex) {
        return switch (regex) {
            case Expr.Literal l -> Expr.literal(escape(new String(l.bytes(), StandardCharsets.UTF_8)));
            case Expr.CharSet c -> {
                List<Expr> options = new ArrayList<>(List.of(intersect(c, RAW)));
                int[] escaped = RAW.negate().ranges();
                for (int i = 0; i < escaped.length; i += 2) {
                    for (int cp = escaped[i]; cp <= escaped[i + 1]; cp++) {
                        if (c.contains(cp)) {
                            options.add(Expr.literal(escape(Character.toString(cp))));
                        }
                    }
                }
                yield Expr.alt(options.toArray(Expr[]::new));
            }
            case Expr.Seq s -> new Expr.Seq(s.items().stream().map(JsonStrings::content).toList());
            case Expr.Alt a -> new Expr.Alt(a.options().stream().map(JsonStrings::content).toList());
            case Expr.Repeat r -> new Expr.Repeat(content(r.item()), r.min(), r.max());
            case Expr.Ref r -> r; // a regex has none
        };
    }

    /** The code points in both: the complement of the union of the complements. */
    private static Expr.CharSet intersect(Expr.CharSet a, Expr.CharSet b) {
        int[] na = a.negate().ranges();
        int[] nb = b.negate().ranges();
        int[] both = Arrays.copyOf(na, na.length + nb.length);
        System.arraycopy(nb, 0, both, na.length, nb.length);
        return new Expr.CharSet(both).negate();
    }
}
