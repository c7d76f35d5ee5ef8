package dev.iris.templates.jinja;

import dev.iris.templates.jinja.Node.Expr;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses the pieces of {@link Lexer} into {@link Node}s: the statements chat templates use
 * ({@code if}, {@code for} with {@code else} and {@code loop}, {@code set}, {@code break},
 * {@code continue}, {@code generation}) and jinja2's expression grammar with its precedence
 * ({@code or}, {@code and}, {@code not}, comparisons and {@code in}, {@code + -}, {@code ~},
 * {@code * / // %}, unary minus, then postfix: attributes, subscripts, slices, calls, filters
 * and {@code is} tests).
 */
final class Parser {

    private final List<Lexer.Piece> pieces;
    private int at;

    private Parser(List<Lexer.Piece> pieces) {
        this.pieces = pieces;
    }

    static List<Node> parse(String template) {
        Parser p = new Parser(Lexer.split(template));
        List<Node> body = p.block(Set.of());
        if (p.at < p.pieces.size()) {
            throw new TemplateException("unexpected '" + p.pieces.get(p.at).source() + "' at line " + p.pieces.get(p.at).line());
        }
        return body;
    }

    /** Nodes up to a statement whose first word is in {@code ends} (left unconsumed). */
    private List<Node> block(Set<String> ends) {
        List<Node> out = new ArrayList<>();
        while (at < pieces.size()) {
            Lexer.Piece piece = pieces.get(at);
            switch (piece.kind()) {
                case TEXT -> {
                    out.add(new Node.Text(piece.source()));
                    at++;
                }
                case EXPRESSION -> {
                    out.add(new Node.Print(expression(piece.source(), piece.line())));
                    at++;
                }
                case STATEMENT -> {
                    String word = firstWord(piece.source());
                    if (ends.contains(word)) {
                        return out;
                    }
                    at++;
                    out.add(statement(word, piece));
                }
            }
        }
        if (!ends.isEmpty()) {
            throw new TemplateException("missing one of " + ends + " at the end of the template");
        }
        return out;
    }

    private Node statement(String word, Lexer.Piece piece) {
        Tokens t = new Tokens(piece.source(), piece.line());
        t.next(); // the keyword
        return switch (word) {
            case "if" -> conditional(t);
            case "for" -> loop(t);
            case "set" -> {
                Expr target = t.postfix(t.primary());
                t.expect("=");
                Node.Set set = new Node.Set(target, t.expression());
                t.end();
                yield set;
            }
            case "generation" -> {
                List<Node> body = block(Set.of("endgeneration"));
                at++;
                yield new Node.Block(body);
            }
            case "break" -> new Node.Break();
            case "continue" -> new Node.Continue();
            default -> throw new TemplateException("unsupported statement '" + word + "' at line " + piece.line());
        };
    }

    private Node conditional(Tokens t) {
        List<Expr> conditions = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        conditions.add(t.expression());
        t.end();
        bodies.add(block(Set.of("elif", "else", "endif")));
        List<Node> otherwise = List.of();
        while (true) {
            Lexer.Piece piece = pieces.get(at++);
            String word = firstWord(piece.source());
            if (word.equals("endif")) {
                return new Node.If(conditions, bodies, otherwise);
            }
            if (word.equals("elif")) {
                Tokens e = new Tokens(piece.source(), piece.line());
                e.next();
                conditions.add(e.expression());
                e.end();
                bodies.add(block(Set.of("elif", "else", "endif")));
            } else {
                otherwise = block(Set.of("endif"));
            }
        }
    }

    private Node loop(Tokens t) {
        List<String> targets = new ArrayList<>();
        targets.add(t.name());
        while (t.accept(",")) {
            targets.add(t.name());
        }
        t.expectWord("in");
        Expr items = t.or(); // not a conditional: a trailing "if" filters the items
        Expr filter = t.acceptWord("if") ? t.expression() : null;
        t.end();
        List<Node> body = block(Set.of("else", "endfor"));
        List<Node> otherwise = List.of();
        if (firstWord(pieces.get(at).source()).equals("else")) {
            at++;
            otherwise = block(Set.of("endfor"));
        }
        at++;
        return new Node.For(targets, items, filter, body, otherwise);
    }

    private static Expr expression(String source, int line) {
        Tokens t = new Tokens(source, line);
        Expr e = t.expression();
        t.end();
        return e;
    }

    private static String firstWord(String source) {
        int i = 0;
        while (i < source.length() && (Character.isLetterOrDigit(source.charAt(i)) || source.charAt(i) == '_')) {
            i++;
        }
        return source.substring(0, i);
    }

    /** Tokens of one tag and the expression grammar over them. */
    private static final class Tokens {
        private final List<String> tokens = new ArrayList<>();
        private final List<Boolean> strings = new ArrayList<>();
        private final int line;
        private int pos;

        Tokens(String source, int line) {
            this.line = line;
            int i = 0;
            while (i < source.length()) {
                char c = source.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (c == '\'' || c == '"') {
                    StringBuilder s = new StringBuilder();
                    int j = i + 1;
                    while (j < source.length() && source.charAt(j) != c) {
                        char d = source.charAt(j);
                        if (d == '\\' && j + 1 < source.length()) {
                            char e = source.charAt(++j);
                            s.append(switch (e) {
                                case 'n' -> '\n';
                                case 't' -> '\t';
                                case 'r' -> '\r';
                                default -> e;
                            });
                        } else {
                            s.append(d);
                        }
                        j++;
                    }
                    if (j >= source.length()) {
                        throw new TemplateException("unterminated string at line " + line);
                    }
                    tokens.add(s.toString());
                    strings.add(true);
                    i = j + 1;
                } else if (Character.isLetter(c) || c == '_') {
                    int j = i;
                    while (j < source.length() && (Character.isLetterOrDigit(source.charAt(j)) || source.charAt(j) == '_')) {
                        j++;
                    }
                    tokens.add(source.substring(i, j));
                    strings.add(false);
                    i = j;
                } else if (Character.isDigit(c)) {
                    int j = i;
                    while (j < source.length() && (Character.isDigit(source.charAt(j)) || source.charAt(j) == '.'
                            || source.charAt(j) == '_')) {
                        j++;
                    }
                    tokens.add(source.substring(i, j));
                    strings.add(false);
                    i = j;
                } else {
                    String two = i + 1 < source.length() ? source.substring(i, i + 2) : "";
                    String op = List.of("==", "!=", "<=", ">=", "//", "**").contains(two) ? two : String.valueOf(c);
                    tokens.add(op);
                    strings.add(false);
                    i += op.length();
                }
            }
        }

        private String peek() {
            return pos < tokens.size() ? tokens.get(pos) : null;
        }

        private boolean peekIsString() {
            return pos < tokens.size() && strings.get(pos);
        }

        String next() {
            if (pos >= tokens.size()) {
                throw new TemplateException("unexpected end of tag at line " + line);
            }
            return tokens.get(pos++);
        }

        boolean accept(String op) {
            if (op.equals(peek()) && !peekIsString()) {
                pos++;
                return true;
            }
            return false;
        }

        boolean acceptWord(String word) {
            return accept(word);
        }

        void expect(String op) {
            if (!accept(op)) {
                throw new TemplateException("expected '" + op + "' but found '" + peek() + "' at line " + line);
            }
        }

        void expectWord(String word) {
            expect(word);
        }

        void end() {
            if (pos < tokens.size()) {
                throw new TemplateException("unexpected '" + peek() + "' at line " + line);
            }
        }

        String name() {
            String n = next();
            if (!Character.isLetter(n.charAt(0)) && n.charAt(0) != '_') {
                throw new TemplateException("expected a name, found '" + n + "' at line " + line);
            }
            return n;
        }

        Expr expression() {
            Expr e = or();
            if (acceptWord("if")) {
                Expr condition = or();
                Expr otherwise = acceptWord("else") ? expression() : new Node.Literal(Values.UNDEFINED);
                return new Node.Conditional(e, condition, otherwise);
            }
            return e;
        }

        Expr or() {
            Expr e = and();
            while (acceptWord("or")) {
                e = new Node.Binary("or", e, and());
            }
            return e;
        }

        private Expr and() {
            Expr e = not();
            while (acceptWord("and")) {
                e = new Node.Binary("and", e, not());
            }
            return e;
        }

        private Expr not() {
            if (acceptWord("not")) {
                return new Node.Unary("not", not());
            }
            return compare();
        }

        private Expr compare() {
            Expr e = sum();
            while (true) {
                String op = peek();
                if (op == null || peekIsString()) {
                    return e;
                }
                if (List.of("==", "!=", "<", ">", "<=", ">=").contains(op)) {
                    pos++;
                    e = new Node.Binary(op, e, sum());
                } else if (op.equals("in")) {
                    pos++;
                    e = new Node.Binary("in", e, sum());
                } else if (op.equals("not") && "in".equals(pos + 1 < tokens.size() ? tokens.get(pos + 1) : null)) {
                    pos += 2;
                    e = new Node.Binary("not in", e, sum());
                } else {
                    return e;
                }
            }
        }

        private Expr sum() {
            Expr e = concat();
            while (true) {
                if (accept("+")) {
                    e = new Node.Binary("+", e, concat());
                } else if (accept("-")) {
                    e = new Node.Binary("-", e, concat());
                } else {
                    return e;
                }
            }
        }

        private Expr concat() {
            Expr e = product();
            while (accept("~")) {
                e = new Node.Binary("~", e, product());
            }
            return e;
        }

        private Expr product() {
            Expr e = unary();
            while (true) {
                String op = peek();
                if (op != null && !peekIsString() && List.of("*", "/", "//", "%").contains(op)) {
                    pos++;
                    e = new Node.Binary(op, e, unary());
                } else {
                    return e;
                }
            }
        }

        private Expr unary() {
            if (accept("-")) {
                return new Node.Unary("-", unary());
            }
            return postfix(primary());
        }

        Expr primary() {
            boolean string = peekIsString();
            String t = next();
            if (string) {
                StringBuilder s = new StringBuilder(t);
                while (peekIsString()) { // adjacent literals concatenate
                    s.append(next());
                }
                return new Node.Literal(s.toString());
            }
            if (Character.isDigit(t.charAt(0))) {
                String digits = t.replace("_", "");
                return new Node.Literal(digits.contains(".") ? (Object) Double.parseDouble(digits) : (Object) Long.parseLong(digits));
            }
            switch (t) {
                case "true", "True" -> {
                    return new Node.Literal(true);
                }
                case "false", "False" -> {
                    return new Node.Literal(false);
                }
                case "none", "None" -> {
                    return new Node.Literal(null);
                }
                case "(" -> {
                    Expr e = expression();
                    if (accept(",")) { // a tuple: a list for our purposes
                        List<Expr> items = new ArrayList<>(List.of(e));
                        while (!accept(")")) {
                            items.add(expression());
                            accept(",");
                        }
                        return new Node.ListLiteral(items);
                    }
                    expect(")");
                    return e;
                }
                case "[" -> {
                    List<Expr> items = new ArrayList<>();
                    while (!accept("]")) {
                        items.add(expression());
                        accept(",");
                    }
                    return new Node.ListLiteral(items);
                }
                case "{" -> {
                    List<Expr> keys = new ArrayList<>();
                    List<Expr> values = new ArrayList<>();
                    while (!accept("}")) {
                        keys.add(expression());
                        expect(":");
                        values.add(expression());
                        accept(",");
                    }
                    return new Node.DictLiteral(keys, values);
                }
                default -> {
                    if (!Character.isLetter(t.charAt(0)) && t.charAt(0) != '_') {
                        throw new TemplateException("unexpected '" + t + "' at line " + line);
                    }
                    return new Node.Name(t);
                }
            }
        }

        Expr postfix(Expr e) {
            while (true) {
                if (accept(".")) {
                    e = new Node.Attr(e, name());
                } else if (accept("[")) {
                    e = subscript(e);
                } else if (accept("(")) {
                    List<Expr> args = new ArrayList<>();
                    Map<String, Expr> kwargs = new LinkedHashMap<>();
                    arguments(args, kwargs);
                    e = new Node.Call(e, args, kwargs);
                } else if (accept("|")) {
                    String name = name();
                    List<Expr> args = new ArrayList<>();
                    Map<String, Expr> kwargs = new LinkedHashMap<>();
                    if (accept("(")) {
                        arguments(args, kwargs);
                    }
                    e = new Node.Filter(e, name, args, kwargs);
                } else if ("is".equals(peek()) && !peekIsString()) {
                    pos++;
                    boolean negated = acceptWord("not");
                    String name = name();
                    List<Expr> args = new ArrayList<>();
                    if (accept("(")) {
                        arguments(args, new LinkedHashMap<>());
                    } else if (peek() != null && (peekIsString() || Character.isDigit(peek().charAt(0)))) {
                        args.add(primary()); // "is equalto 'x'", "is divisibleby 3"
                    }
                    e = new Node.Test(e, name, args, negated);
                } else {
                    return e;
                }
            }
        }

        private Expr subscript(Expr e) {
            Expr start = null;
            if (!":".equals(peek())) {
                start = expression();
                if (accept("]")) {
                    return new Node.Item(e, start);
                }
            }
            expect(":");
            Expr stop = ":".equals(peek()) || "]".equals(peek()) ? null : expression();
            Expr step = null;
            if (accept(":")) {
                step = "]".equals(peek()) ? null : expression();
            }
            expect("]");
            return new Node.Slice(e, start, stop, step);
        }

        private void arguments(List<Expr> args, Map<String, Expr> kwargs) {
            while (!accept(")")) {
                if (peek() != null && !peekIsString() && pos + 1 < tokens.size() && "=".equals(tokens.get(pos + 1))
                        && Character.isLetter(peek().charAt(0))) {
                    String key = next();
                    pos++;
                    kwargs.put(key, expression());
                } else {
                    args.add(expression());
                }
                accept(",");
            }
        }
    }
}
