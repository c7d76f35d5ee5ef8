package dev.iris.runtime.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.iris.runtime.grammar.Expr.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The EBNF front end: a corpus of grammars with texts each must accept and reject, then its errors. */
class EbnfGrammarTest {

    @TestFactory
    List<DynamicTest> corpusGrammarsAcceptAndRejectTheirTexts() throws IOException {
        JsonNode corpus;
        try (InputStream in = EbnfGrammarTest.class.getResourceAsStream("/grammar/ebnf.json")) {
            corpus = new ObjectMapper().readTree(in);
        }
        assertTrue(corpus.size() >= 25, "the corpus holds " + corpus.size() + " grammars");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : corpus) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                CompiledGrammar g = GrammarCompiler.compile(EbnfGrammar.parse(c.get("grammar").asText()));
                for (JsonNode ok : c.get("accept")) {
                    assertTrue(GrammarText.matches(g, ok.asText()), "should accept: " + ok);
                }
                for (JsonNode bad : c.get("reject")) {
                    assertFalse(GrammarText.matches(g, bad.asText()), "should reject: " + bad);
                }
            }));
        }
        return tests;
    }

    @Test
    void parsesToTheExpressionsWritten() {
        Grammar g = EbnfGrammar.parse("root ::= \"a\" [b-c]* | x{2,} # x twice or more\nx ::= .");
        assertEquals("root", g.root());
        assertEquals(List.of("root", "x"), List.copyOf(g.rules().keySet()));
        assertEquals(alt(seq(literal("a"), star(range('b', 'c'))), new Repeat(ref("x"), 2, UNBOUNDED)),
                g.rules().get("root"));
        assertEquals(ANY_CHAR, g.rules().get("x"));
    }

    private static String error(String grammar) {
        return assertThrows(GrammarException.class, () -> EbnfGrammar.parse(grammar)).getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + message + "' should mention " + part);
        }
    }

    @Test
    void aGrammarWithoutRootIsRefused() {
        assertMentions(error("expr ::= \"a\""), "no rule named 'root'");
    }

    @Test
    void anEmptyGrammarIsRefused() {
        assertMentions(error(""), "empty");
        assertMentions(error("  # only a comment\n\n"), "empty");
    }

    @Test
    void anUndefinedRuleIsNamedWhereItIsUsed() {
        assertEquals("EBNF grammar, line 2:10: undefined rule 'greeting'",
                error("# greets\nroot ::= greeting \" \" name\nname ::= [a-z]+"));
    }

    @Test
    void aDuplicateRuleIsNamed() {
        assertEquals("EBNF grammar, line 3:1: rule 'a' is defined twice (first at line 2:1)",
                error("root ::= a\na ::= \"x\"\na ::= \"y\""));
    }

    @Test
    void unterminatedStringsAndClassesPointAtTheirStart() {
        assertMentions(error("root ::= \"abc\nnext ::= \"x\""), "line 1:10", "unterminated string");
        assertMentions(error("root ::= 'abc"), "line 1:10", "unterminated string");
        assertMentions(error("root ::= [a-z"), "line 1:10", "unterminated character class");
        assertMentions(error("root ::= [\\]"), "unterminated character class");
    }

    @Test
    void badEscapesAreNamed() {
        assertMentions(error("root ::= \"\\q\""), "line 1:11", "unknown escape '\\q'");
        assertMentions(error("root ::= [\\x4]"), "'\\x' needs 2 hex digits");
        assertMentions(error("root ::= \"\\u12\""), "'\\u' needs 4 hex digits");
        assertMentions(error("root ::= \"\\uD800\""), "U+D800 is a surrogate");
        assertMentions(error("root ::= \"\\U00110000\""), "above U+10FFFF");
    }

    @Test
    void unbalancedParenthesesAreNamed() {
        assertEquals("EBNF grammar, line 1:16: unexpected ')': no '(' is open", error("root ::= (\"a\") )"));
        assertMentions(error("root ::= (\"a\" | \"b\"\n"), "line 2:1", "expected ')' to close the '(' at line 1:10");
    }

    @Test
    void aMissingDefinitionSignIsNamed() {
        assertEquals("EBNF grammar, line 1:6: expected '::=' after the rule name 'root', found '\"'",
                error("root \"a\""));
        assertMentions(error("::= \"a\""), "line 1:1", "expected a rule name");
    }

    @Test
    void misplacedOperatorsAreNamed() {
        assertMentions(error("root ::= \"a\"*?"), "line 1:14", "'?' has nothing before it to repeat");
        assertMentions(error("root ::= [z-a]"), "character range z-a runs backwards");
        assertMentions(error("root ::= \"a\"{,3}"), "expected a repetition count");
        assertMentions(error("root ::= \"a\"{3,2}"), "{3,2}", "maximum below its minimum");
        assertMentions(error("root ::= \"a\"{2"), "expected ',' or '}'");
    }

    @Test
    void repetitionCountsAreLimited() {
        assertMentions(error("root ::= \"a\"{1,5000}"), "5000", "limit of 1000");
        assertMentions(error("root ::= \"a\"{99999999999999999999}"), "limit of 1000");
        assertEquals(1000, ((Repeat) EbnfGrammar.parse("root ::= \"a\"{1000}").rules().get("root")).max());
    }

    @Test
    void deepNestingIsRefusedBeforeItOverflowsTheStack() {
        String deep = "root ::= " + "(".repeat(100_000) + "\"a\"" + ")".repeat(100_000);
        assertMentions(error(deep), "nested more than 200 deep");
    }

    @Test
    void leftRecursionIsRefusedByTheCompiler() {
        Grammar g = EbnfGrammar.parse("root ::= expr\nexpr ::= expr \"+\" term | term\nterm ::= [0-9]");
        GrammarException e = assertThrows(GrammarException.class, () -> GrammarCompiler.compile(g));
        assertMentions(e.getMessage(), "left recursion", "expr");
    }

    @Test
    void ruleNamesFollowTheNotation() {
        Map<String, Expr> rules = EbnfGrammar.parse("root ::= a-b_1\na-b_1 ::= _x\n_x ::= \"\"").rules();
        assertEquals(List.of("root", "a-b_1", "_x"), List.copyOf(rules.keySet()));
        assertMentions(error("root ::= 1abc"), "line 1:10");
    }
}
