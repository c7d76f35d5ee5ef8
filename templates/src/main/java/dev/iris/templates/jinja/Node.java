package dev.iris.templates.jinja;

import java.util.List;
import java.util.Map;

/** The parsed template: statements, and the expressions in them. */
sealed interface Node {

    record Text(String text) implements Node {
    }

    record Print(Expr value) implements Node {
    }

    /** {@code if} / {@code elif} branches in order, then the {@code else} body (possibly empty). */
    record If(List<Expr> conditions, List<List<Node>> bodies, List<Node> otherwise) implements Node {
    }

    /** {@code for a, b in items if filter} … {@code else} … */
    record For(List<String> targets, Expr items, Expr filter, List<Node> body, List<Node> otherwise) implements Node {
    }

    /** {@code set name = value} or {@code set ns.attr = value}. */
    record Set(Expr target, Expr value) implements Node {
    }

    /** A block whose output is kept as it is ({@code generation}, HF's marker for assistant text). */
    record Block(List<Node> body) implements Node {
    }

    record Break() implements Node {
    }

    record Continue() implements Node {
    }

    /** Expressions. */
    sealed interface Expr {
    }

    record Literal(Object value) implements Expr {
    }

    record Name(String name) implements Expr {
    }

    record Attr(Expr target, String name) implements Expr {
    }

    record Item(Expr target, Expr key) implements Expr {
    }

    record Slice(Expr target, Expr start, Expr stop, Expr step) implements Expr {
    }

    record Call(Expr function, List<Expr> args, Map<String, Expr> kwargs) implements Expr {
    }

    record Filter(Expr value, String name, List<Expr> args, Map<String, Expr> kwargs) implements Expr {
    }

    record Test(Expr value, String name, List<Expr> args, boolean negated) implements Expr {
    }

    record Unary(String op, Expr operand) implements Expr {
    }

    record Binary(String op, Expr left, Expr right) implements Expr {
    }

    record Conditional(Expr then, Expr condition, Expr otherwise) implements Expr {
    }

    record ListLiteral(List<Expr> items) implements Expr {
    }

    record DictLiteral(List<Expr> keys, List<Expr> values) implements Expr {
    }
}
