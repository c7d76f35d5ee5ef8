package dev.iris.runtime.grammar;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * One request's place in its grammar: which tokens may come next, and the step past each token
 * taken. The engine masks the logits with {@link #allowed} before sampling (so every sampling
 * mode sees only tokens that keep the text a valid prefix) and reports each sampled token to
 * {@link #accept}. The text may end (EOS allowed) only where the grammar may end. Its stacks are
 * kept {@linkplain Parser#settle settled}, which the per-state masks rely on. Used by one thread at
 * a time.
 */
public final class GrammarMatcher {

    private final GrammarConstraint c;
    private final Parser parser;
    private Frame[] tops;
    /** Whether no token has been taken yet (the first token may lose its leading space). */
    private boolean atStart = true;

    GrammarMatcher(GrammarConstraint c) {
        this.c = c;
        this.parser = new Parser(c.grammar);
        this.tops = parser.start();
    }

    /**
     * The tokens that may come next, as a bit set over the vocabulary (bit {@code id} of word
     * {@code id / 64}); {@code endTokens} are set where the text may end.
     */
    public long[] allowed(Set<Integer> endTokens) {
        long[] bits;
        if (atStart && c.vocabulary.dropsLeadingSpace) {
            bits = c.startMask().clone(); // the first token's bytes differ from its usual ones
        } else {
            bits = new long[(c.vocabulary.size + 63) >>> 6];
            Set<Integer> doneStates = new HashSet<>();
            for (Frame top : tops) {
                StateMask mask = c.mask(top.state);
                if (doneStates.add(top.state)) {
                    mask.orAllowed(bits);
                }
                c.orUncertain(top, mask, bits, parser);
            }
        }
        if (canEnd()) {
            for (int id : endTokens) {
                if (id >= 0 && id < c.vocabulary.size) {
                    bits[id >>> 6] |= 1L << id;
                }
            }
        }
        return bits;
    }

    /** Sets every logit the grammar forbids to −∞. */
    public void mask(float[] logits, Set<Integer> endTokens) {
        long[] bits = allowed(endTokens);
        boolean any = false;
        for (long w : bits) {
            any |= w != 0;
        }
        if (!any) {
            // No token can continue the text (the grammar needs bytes no token carries): let it end.
            for (int id : endTokens) {
                if (id >= 0 && id < logits.length) {
                    bits[id >>> 6] |= 1L << id;
                }
            }
        }
        int n = Math.min(logits.length, c.vocabulary.size);
        for (int w = 0; w < bits.length; w++) {
            long word = bits[w];
            if (word == -1L) {
                continue;
            }
            int base = w << 6;
            int end = Math.min(base + 64, n);
            if (word == 0) {
                Arrays.fill(logits, base, end, Float.NEGATIVE_INFINITY);
                continue;
            }
            for (int i = base; i < end; i++) {
                if ((word & (1L << i)) == 0) {
                    logits[i] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        if (logits.length > n) {
            Arrays.fill(logits, n, logits.length, Float.NEGATIVE_INFINITY);
        }
    }

    /**
     * Moves past a sampled token. Returns false, leaving the state as it was, for a token the
     * grammar does not take (an end token, or one the mask forbade).
     */
    public boolean accept(int token) {
        if (token < 0 || token >= c.vocabulary.size) {
            return false;
        }
        byte[] b = atStart ? c.vocabulary.firstBytes(token) : c.vocabulary.bytes[token];
        if (b == null) {
            return false;
        }
        Frame[] next = parser.feed(tops, b, 0, b.length);
        if (next.length == 0) {
            return false;
        }
        tops = parser.settle(next);
        atStart = false;
        return true;
    }

    /** Whether the text so far is complete in the grammar (it may end here). */
    public boolean canEnd() {
        return parser.canEnd(tops);
    }

    /** Whether the text is complete and nothing may follow: only an end token can come next. */
    public boolean isClosed() {
        return parser.closed(tops);
    }
}
