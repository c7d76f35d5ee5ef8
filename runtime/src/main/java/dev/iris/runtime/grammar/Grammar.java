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
}
