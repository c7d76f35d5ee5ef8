package dev.iris.runtime.grammar;

import java.nio.charset.StandardCharsets;

/** Whole-text and prefix membership of a compiled grammar, for tests and validation. */
public final class GrammarText {

    private GrammarText() {
    }

    /** Whether the whole text is in the grammar's language. */
    public static boolean matches(CompiledGrammar g, String text) {
        Parser p = new Parser(g);
        Frame[] at = p.feed(p.start(), text.getBytes(StandardCharsets.UTF_8), 0, text.getBytes(StandardCharsets.UTF_8).length);
        return at.length > 0 && p.canEnd(at);
    }

    /** Whether the bytes start some text of the grammar's language. */
    public static boolean isPrefix(CompiledGrammar g, byte[] bytes) {
        Parser p = new Parser(g);
        return p.feed(p.start(), bytes, 0, bytes.length).length > 0;
    }
}
