package dev.iris.runtime.grammar;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Writes small, non-recursive rules into the repetitions that refer to them (a JSON string's
 * character, a digit), so that a run of them is read by one automaton: its states then decide the
 * tokens on their own, and reading a byte needs no stack work. A reference outside any repetition
 * stays a reference (JSON's whitespace between tokens, say), so its states — and their token
 * masks — stay shared by every place that uses it. Undefined references are left for the compiler.
 */
final class Inliner {

    private Inliner() {
    }

    static Grammar inline(Grammar g, int maxSize) {
        Map<String, Expr> rules = g.rules();
        Set<String> recursive = recursive(rules);
        Map<String, Expr> out = new LinkedHashMap<>();
        rules.forEach((name, e) -> out.put(name, substitute(e, false, rules, recursive, maxSize)));
        return new Grammar(out, g.root());
    }

    /** {@code e} with references inside repetitions to small non-recursive rules replaced by their expressions. */
    private static Expr substitute(Expr e, boolean repeated, Map<String, Expr> rules, Set<String> recursive,
                                   int maxSize) {
        return switch (e) {
            case Expr.Ref ref -> {
                Expr body = rules.get(ref.rule());
                if (!repeated || body == null || recursive.contains(ref.rule())) {
                    yield ref;
                }
                Expr inlined = substitute(body, true, rules, recursive, maxSize);
                yield size(inlined) <= maxSize ? inlined : ref;
            }
            case Expr.Seq s -> new Expr.Seq(s.items().stream()
                    .map(x -> substitute(x, repeated, rules, recursive, maxSize)).toList());
            case Expr.Alt a -> new Expr.Alt(a.options().stream()
                    .map(x -> substitute(x, repeated, rules, recursive, maxSize)).toList());
            case Expr.Repeat r -> new Expr.Repeat(substitute(r.item(), repeated || r.max() != 1, rules, recursive,
                    maxSize), r.min(), r.max());
            case Expr.Literal l -> l;
            case Expr.CharSet c -> c;
        };
    }

    /** Nodes of an expression, a literal's bytes and a bounded repetition's copies counted. */
    static int size(Expr e) {
        return switch (e) {
            case Expr.Literal l -> Math.max(1, l.bytes().length);
            case Expr.CharSet c -> 1;
            case Expr.Ref r -> 1;
            case Expr.Seq s -> 1 + s.items().stream().mapToInt(Inliner::size).sum();
            case Expr.Alt a -> 1 + a.options().stream().mapToInt(Inliner::size).sum();
            case Expr.Repeat r -> 1 + size(r.item()); // the copies of a bounded repetition add states, not kinds of them
        };
    }

    /** Rules that can reach themselves through references. */
    private static Set<String> recursive(Map<String, Expr> rules) {
        Map<String, Set<String>> calls = new HashMap<>();
        rules.forEach((n, e) -> calls.put(n, refs(e, new HashSet<>())));
        Set<String> out = new HashSet<>();
        for (String n : rules.keySet()) {
            Set<String> seen = new HashSet<>();
            java.util.ArrayDeque<String> work = new java.util.ArrayDeque<>(calls.get(n));
            while (!work.isEmpty()) {
                String m = work.pop();
                if (m.equals(n)) {
                    out.add(n);
                    break;
                }
                if (seen.add(m) && calls.containsKey(m)) {
                    work.addAll(calls.get(m));
                }
            }
        }
        return out;
    }

    private static Set<String> refs(Expr e, Set<String> into) {
        switch (e) {
            case Expr.Ref r -> into.add(r.rule());
            case Expr.Seq s -> s.items().forEach(x -> refs(x, into));
            case Expr.Alt a -> a.options().forEach(x -> refs(x, into));
            case Expr.Repeat r -> refs(r.item(), into);
            case Expr.Literal l -> { }
            case Expr.CharSet c -> { }
        }
        return into;
    }
}
