package dev.iris.runtime.grammar;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named rules over bytes and the rule a text must match as a whole. Built by the JSON Schema,
 * regex and EBNF front ends; compiled by {@link GrammarCompiler}.
 *
 * @param rules every rule by name, in the order written
 * @param root  the rule the whole text matches
 */
public record Grammar(Map<String, Expr> rules, String root) {

    public Grammar {
        rules = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rules));
        if (!rules.containsKey(root)) {
            throw new GrammarException("the grammar has no rule named '" + root + "'");
        }
    }

    /** A grammar of one rule. */
    public static Grammar of(Expr root) {
        return new Grammar(Map.of("root", root), "root");
    }

    /**
     * The same grammar with every rule name prefixed, so that its rules can join another
     * grammar's without clashing.
     */
    public Grammar renamed(String prefix) {
        Map<String, Expr> out = new LinkedHashMap<>();
        rules.forEach((name, e) -> out.put(prefix + name, rename(e, prefix)));
        return new Grammar(out, prefix + root);
    }

    private static Expr rename(Expr e, String prefix) {
        return switch (e) {
            case Expr.Ref r -> new Expr.Ref(prefix + r.rule());
            case Expr.Seq s -> new Expr.Seq(s.items().stream().map(x -> rename(x, prefix)).toList());
            case Expr.Alt a -> new Expr.Alt(a.options().stream().map(x -> rename(x, prefix)).toList());
            case Expr.Repeat r -> new Expr.Repeat(rename(r.item(), prefix), r.min(), r.max());
            case Expr.Literal l -> l;
            case Expr.CharSet c -> c;
        };
    }
}
