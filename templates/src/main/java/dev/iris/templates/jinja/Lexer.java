package dev.iris.templates.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into text and tags the way jinja2 does with Hugging Face's settings
 * ({@code trim_blocks}, {@code lstrip_blocks}): a block or comment tag alone on its line after
 * indentation takes the indentation with it, the first newline after a block or comment tag goes,
 * and {@code -} on a tag's side strips all whitespace on that side.
 */
final class Lexer {

    /** A piece of the template: literal text, an expression tag's source, a statement tag's source. */
    record Piece(Kind kind, String source, int line) {
        enum Kind { TEXT, EXPRESSION, STATEMENT }
    }

    private Lexer() {
    }

    static List<Piece> split(String template) {
        List<Piece> out = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        int i = 0;
        int line = 1;
        boolean trimNextNewline = false;
        boolean stripNextWhitespace = false;
        while (i < template.length()) {
            int open = nextTag(template, i);
            String literal = template.substring(i, open < 0 ? template.length() : open);
            if (stripNextWhitespace) {
                literal = literal.stripLeading();
            } else if (trimNextNewline && literal.startsWith("\n")) {
                literal = literal.substring(1);
            }
            trimNextNewline = false;
            stripNextWhitespace = false;
            if (open < 0) {
                text.append(literal);
                break;
            }
            char kind = template.charAt(open + 1);
            boolean minusBefore = open + 2 < template.length() && template.charAt(open + 2) == '-';
            boolean plusBefore = open + 2 < template.length() && template.charAt(open + 2) == '+';
            if (minusBefore) {
                literal = literal.stripTrailing();
            } else if (kind != '{' && !plusBefore) {
                literal = lstripBlock(literal);
            }
            text.append(literal);
            line += count(template, i, open);
            String end = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int close = template.indexOf(end, open + 2);
            if (close < 0) {
                throw new TemplateException("unclosed tag at line " + line);
            }
            int bodyStart = open + 2 + (minusBefore || plusBefore ? 1 : 0);
            boolean minusAfter = close > bodyStart && template.charAt(close - 1) == '-';
            boolean plusAfter = close > bodyStart && template.charAt(close - 1) == '+';
            String body = template.substring(bodyStart, close - (minusAfter || plusAfter ? 1 : 0)).strip();
            if (kind != '#') {
                if (!text.isEmpty()) {
                    out.add(new Piece(Piece.Kind.TEXT, text.toString(), line));
                    text.setLength(0);
                }
                if (kind == '%' && (body.equals("raw") )) {
                    int endRaw = findEndRaw(template, close + 2);
                    out.add(new Piece(Piece.Kind.TEXT, template.substring(close + 2, endRaw), line));
                    int after = template.indexOf("%}", endRaw) + 2;
                    line += count(template, open, after);
                    i = after;
                    continue;
                }
                out.add(new Piece(kind == '{' ? Piece.Kind.EXPRESSION : Piece.Kind.STATEMENT, body, line));
            }
            line += count(template, open, close + 2);
            i = close + 2;
            stripNextWhitespace = minusAfter;
            trimNextNewline = kind != '{' && !plusAfter;
        }
        if (!text.isEmpty()) {
            out.add(new Piece(Piece.Kind.TEXT, text.toString(), line));
        }
        return out;
    }

    private static int nextTag(String s, int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    /** lstrip_blocks: spaces and tabs between the line's start and the tag go, when nothing else is there. */
    private static String lstripBlock(String literal) {
        int j = literal.length();
        while (j > 0 && (literal.charAt(j - 1) == ' ' || literal.charAt(j - 1) == '\t')) {
            j--;
        }
        if (j == 0 || literal.charAt(j - 1) == '\n') {
            return literal.substring(0, j);
        }
        return literal;
    }

    private static int findEndRaw(String s, int from) {
        int at = from;
        while (true) {
            int open = s.indexOf("{%", at);
            if (open < 0) {
                throw new TemplateException("raw block without endraw");
            }
            int close = s.indexOf("%}", open);
            String body = s.substring(open + 2, close).replace("-", "").strip();
            if (body.equals("endraw")) {
                return open;
            }
            at = close;
        }
    }

    private static int count(String s, int from, int to) {
        int n = 0;
        for (int i = from; i < to && i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }
}
