package dev.iris.runtime.grammar;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.iris.runtime.grammar.Expr.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GrammarCompilerTest {

    private static CompiledGrammar compile(Map<String, Expr> rules) {
        return GrammarCompiler.compile(new Grammar(rules, "root"));
    }

    @Test
    void nestedRulesMatchBalancedBrackets() {
        Map<String, Expr> rules = new LinkedHashMap<>();
        rules.put("root", star(ref("item")));
        rules.put("item", alt(seq(literal("["), star(ref("item")), literal("]")), anyOf("ab")));
        CompiledGrammar g = compile(rules);
        for (String ok : new String[]{"", "a", "[]", "[a[b]]ab", "[[[]]]"}) {
            assertTrue(GrammarText.matches(g, ok), ok);
        }
        for (String bad : new String[]{"[", "]", "[a]]", "c", "[[]"}) {
            assertFalse(GrammarText.matches(g, bad), bad);
        }
        assertTrue(GrammarText.isPrefix(g, "[[a".getBytes(StandardCharsets.UTF_8)));
        assertFalse(GrammarText.isPrefix(g, "[a]]".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void characterClassesAreMatchedAsUtf8CodePointsByteByByte() {
        CompiledGrammar g = compile(Map.of("root", plus(range(0x80, 0x10FFFF))));
        assertTrue(GrammarText.matches(g, "é€😀"));
        assertFalse(GrammarText.matches(g, "éa"));
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        assertTrue(GrammarText.isPrefix(g, new byte[]{euro[0], euro[1]}), "half a character is a valid prefix");
        assertFalse(GrammarText.isPrefix(g, new byte[]{(byte) 0xED, (byte) 0xA0}), "surrogates are not UTF-8");
        CompiledGrammar notQuote = compile(Map.of("root", star(anyOf("\"\\").negate())));
        assertTrue(GrammarText.matches(notQuote, "plain ünïcode ✓"));
        assertFalse(GrammarText.matches(notQuote, "a\"b"));
    }

    @Test
    void boundedRepetitionCountsExactly() {
        CompiledGrammar g = compile(Map.of("root", new Repeat(literal("ab"), 2, 3)));
        assertFalse(GrammarText.matches(g, "ab"));
        assertTrue(GrammarText.matches(g, "abab"));
        assertTrue(GrammarText.matches(g, "ababab"));
        assertFalse(GrammarText.matches(g, "abababab"));
    }

    @Test
    void nullableRulesAreCrossedAndFollowSetsSeeThroughThem() {
        Map<String, Expr> rules = new LinkedHashMap<>();
        rules.put("root", seq(literal("x"), ref("ws"), literal(":"), ref("ws"), literal("y")));
        rules.put("ws", new Repeat(literal(" "), 0, 2));
        CompiledGrammar g = compile(rules);
        assertTrue(GrammarText.matches(g, "x:y"));
        assertTrue(GrammarText.matches(g, "x  :  y"));
        assertFalse(GrammarText.matches(g, "x   :y"));
        int ws = 1;
        assertTrue(g.nullable[ws]);
        assertTrue((g.follow[ws][0] & (1L << ':')) != 0 && (g.follow[ws][1] & (1L << ('y' - 64))) != 0);
        assertFalse(g.followedByEnd[ws]);
    }

    @Test
    void leftRecursionIsRefusedNamingTheRule() {
        Map<String, Expr> rules = new LinkedHashMap<>();
        rules.put("root", ref("expr"));
        rules.put("expr", alt(seq(ref("expr"), literal("+"), literal("1")), literal("1")));
        GrammarException e = assertThrows(GrammarException.class, () -> compile(rules));
        assertTrue(e.getMessage().contains("left recursion") && e.getMessage().contains("expr"), e.getMessage());
    }

    @Test
    void anUndefinedRuleIsNamed() {
        GrammarException e = assertThrows(GrammarException.class, () -> compile(Map.of("root", ref("missing"))));
        assertEquals("rule 'root' refers to an undefined rule 'missing'", e.getMessage());
    }
}
