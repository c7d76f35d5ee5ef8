package dev.iris.runtime.grammar;

import dev.iris.runtime.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cache of compiled constraints: the same constraint comes back compiled, masks and all; the
 * least recently used go first once the count or the masks' memory is over its limit.
 */
class ConstraintsTest {

    private static TokenVocabulary vocabulary;

    @BeforeAll
    static void load() throws IOException {
        Tokenizer tok = GrammarMaskTest.tokenizer("qwen2");
        vocabulary = TokenVocabulary.of(tok, 151936);
    }

    /** Reaches a few states of a constraint, so that it holds masks. */
    private static void use(GrammarConstraint c) {
        GrammarMatcher m = c.newMatcher();
        float[] logits = new float[vocabulary.size];
        m.mask(logits, Set.of());
    }

    @Test
    void theSameConstraintComesBackCompiled() {
        Constraints constraints = new Constraints(() -> vocabulary, GrammarOptions.DEFAULTS);
        GrammarConstraint a = constraints.regex("[a-z]+@[a-z]+\\.com");
        use(a);
        assertSame(a, constraints.regex("[a-z]+@[a-z]+\\.com"));
        assertNotSame(a, constraints.regex("[a-z]+@[a-z]+\\.org"));
    }

    @Test
    void theLeastRecentlyUsedGoFirstPastTheCount() {
        Constraints constraints = new Constraints(() -> vocabulary, new GrammarOptions(null, 2, 512));
        GrammarConstraint a = constraints.regex("a+");
        GrammarConstraint b = constraints.regex("b+");
        assertSame(a, constraints.regex("a+")); // a is now the most recent
        constraints.regex("c+");
        assertSame(a, constraints.regex("a+"));
        assertNotSame(b, constraints.regex("b+"), "b was the least recently used");
    }

    @Test
    void masksOverTheMemoryLimitDropTheLeastRecentlyUsed() {
        Constraints constraints = new Constraints(() -> vocabulary, new GrammarOptions(null, 64, 1));
        String schema = "{\"type\": \"string\", \"maxLength\": 100}";
        GrammarConstraint a = constraints.jsonSchema(schema);
        // Each position of the string has its own dense mask (151,936 bits): 60 of them are over 1 MiB.
        GrammarMatcher m = a.newMatcher();
        float[] logits = new float[vocabulary.size];
        m.mask(logits, Set.of());
        m.accept(tokenOf((byte) '"'));
        for (int i = 0; i < 60; i++) {
            m.mask(logits, Set.of());
            m.accept(tokenOf((byte) 'x'));
        }
        assertTrue(a.maskBytes() > (1 << 20), "the masks hold " + a.maskBytes() + " bytes");
        assertSame(a, constraints.jsonSchema(schema), "alone in the cache, it stays");
        constraints.regex("[0-9]+");
        assertNotSame(a, constraints.jsonSchema(schema), "over the limit, the least recently used went");
    }

    /** The token that is this one byte alone. */
    private static int tokenOf(byte b) {
        for (int id = 0; id < vocabulary.size; id++) {
            byte[] t = vocabulary.bytes[id];
            if (t != null && t.length == 1 && t[0] == b) {
                return id;
            }
        }
        throw new IllegalStateException("no token for byte " + b);
    }
}
