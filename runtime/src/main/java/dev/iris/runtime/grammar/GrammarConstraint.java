package dev.iris.runtime.grammar;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A compiled grammar bound to a model's vocabulary: what a request's {@link GrammarMatcher}
 * reads. Per-state token masks are computed the first time a request reaches the state (or one
 * no token can tell from it: {@link MaskClasses}) and kept for every later request with the same
 * constraint, so a cached constraint pays for each once. Thread-safe.
 */
public final class GrammarConstraint {

    final CompiledGrammar grammar;
    final TokenVocabulary vocabulary;
    /** Masks by group of states ({@link MaskClasses}). */
    private final ConcurrentHashMap<Integer, StateMask> masks = new ConcurrentHashMap<>();
    /** What the masks hold, in bytes. */
    private final AtomicLong maskBytes = new AtomicLong();
    /** Per state, its group; made when the first mask is asked for. */
    private volatile int[] groups;
    /**
     * Tokens allowed as the first token of a text whose decoder drops that token's leading space
     * (the same for every request), once computed.
     */
    private volatile long[] startMask;
    /** Longest token, in bytes: the depth of the walk's per-byte arrays. */
    private final int longest;

    GrammarConstraint(CompiledGrammar grammar, TokenVocabulary vocabulary) {
        this.grammar = grammar;
        this.vocabulary = vocabulary;
        int max = 1;
        for (byte[] b : vocabulary.bytes) {
            max = b == null ? max : Math.max(max, b.length);
        }
        this.longest = max;
    }

    /** A matcher at the start of a text. */
    public GrammarMatcher newMatcher() {
        return new GrammarMatcher(this);
    }

    /** The mask of one state, computed on first use of its group. */
    StateMask mask(int state) {
        int[] g = groups;
        if (g == null) {
            synchronized (this) {
                g = groups;
                if (g == null) {
                    g = MaskClasses.of(grammar, longest);
                    groups = g;
                }
            }
        }
        StateMask m = masks.get(g[state]);
        return m != null ? m : masks.computeIfAbsent(g[state], k -> {
            StateMask made = computeMask(state);
            maskBytes.addAndGet(made.bytes());
            return made;
        });
    }

    /** Memory its masks hold so far. */
    long maskBytes() {
        return maskBytes.get();
    }

    /** Masks computed so far. */
    public int maskedStates() {
        return masks.size();
    }

    /** The allowed-token bits at the start of the text, each token read without its leading space; cached. */
    long[] startMask() {
        long[] m = startMask;
        if (m == null) {
            m = new long[(vocabulary.size + 63) >>> 6];
            Parser p = new Parser(grammar);
            Frame[] start = p.start();
            for (int id = 0; id < vocabulary.size; id++) {
                byte[] b = vocabulary.firstBytes(id);
                if (b != null && p.feed(start, b, 0, b.length).length > 0) {
                    m[id >>> 6] |= 1L << id;
                }
            }
            startMask = m;
        }
        return m;
    }

    /**
     * Walks every token in sorted order from {@code state} over an unknown caller, reusing the
     * walk of the bytes a token shares with the one before it, and skipping every token whose first
     * byte the state refuses. Inside one rule's plain states (no rule to enter or leave) a depth
     * holds one state and no frames are made: that is where most of a permissive walk runs.
     */
    private StateMask computeMask(int state) {
        CompiledGrammar g = grammar;
        Parser p = new Parser(g);
        long[] follow = g.follow[g.ruleOf[state]];
        int n = longest + 1;
        // Depth d holds either one frame (single[d] == null: state st[d] over caller par[d]) or a set.
        int[] st = new int[n];
        Frame[] par = new Frame[n];
        Frame[][] set = new Frame[n][];
        // set's expansion at d, and whether it may leave the rule (kept: tokens sharing d bytes reuse it).
        Frame[][] expanded = new Frame[n][];
        boolean[] leavesAt = new boolean[n];
        boolean[] unsure = new boolean[n];
        int[][] dense = new int[g.stateCount][];
        st[0] = state;
        par[0] = Frame.BOTTOM;
        int valid = 0;
        int[] allowed = new int[64];
        int allowedCount = 0;
        int[] uncertain = new int[64];
        int uncertainCount = 0;
        int[] sorted = vocabulary.sorted;
        for (int k = 0; k < sorted.length; k++) {
            byte[] b = vocabulary.bytes[sorted[k]];
            int d = Math.min(valid, vocabulary.sharedPrefix[k]);
            while (d < b.length && (set[d] == null || set[d].length > 0)) {
                int next = b[d] & 0xFF;
                boolean leaves = false;
                if (set[d] == null && isPlain(st[d])) {
                    int t = transitions(dense, st[d])[next];
                    if (t < 0) {
                        set[d + 1] = Parser.NONE;
                    } else {
                        st[d + 1] = t;
                        par[d + 1] = par[d];
                        set[d + 1] = null;
                    }
                } else {
                    if (expanded[d] == null) {
                        expanded[d] = p.expand(set[d] != null ? set[d] : new Frame[]{new Frame(st[d], par[d])});
                        leavesAt[d] = p.leavesBottom;
                    }
                    // Leaving the rule is only worth a run-time check if some caller may take the next byte;
                    // leaving before the first byte is the caller's own top's business (stacks are settled).
                    leaves = d > 0 && leavesAt[d] && (follow[next >>> 6] & (1L << next)) != 0;
                    Frame[] after = p.advance(expanded[d], next);
                    if (after.length == 1) {
                        st[d + 1] = after[0].state;
                        par[d + 1] = after[0].parent;
                        set[d + 1] = null;
                    } else {
                        set[d + 1] = after;
                    }
                }
                expanded[d + 1] = null;
                unsure[d + 1] = unsure[d] || leaves;
                d++;
            }
            valid = d;
            if (d == b.length && (set[d] == null || set[d].length > 0)) {
                if (allowedCount == allowed.length) {
                    allowed = Arrays.copyOf(allowed, allowedCount * 2);
                }
                allowed[allowedCount++] = sorted[k];
            } else if (unsure[d]) {
                if (uncertainCount == uncertain.length) {
                    uncertain = Arrays.copyOf(uncertain, uncertainCount * 2);
                }
                uncertain[uncertainCount++] = k;
            } else if (d == 1) {
                k = vocabulary.firstByteEnd[b[0] & 0xFF] - 1; // the state refuses this first byte: so all its tokens
            }
        }
        uncertain = Arrays.copyOf(uncertain, uncertainCount);
        int[] shared = new int[uncertainCount];
        for (int i = 1; i < uncertainCount; i++) {
            byte[] a = vocabulary.bytes[sorted[uncertain[i - 1]]];
            byte[] b = vocabulary.bytes[sorted[uncertain[i]]];
            int m = Arrays.mismatch(a, b);
            shared[i] = m < 0 ? Math.min(a.length, b.length) : m;
        }
        if (allowedCount * 32L < vocabulary.size) {
            return new StateMask(Arrays.copyOf(allowed, allowedCount), null, uncertain, shared);
        }
        long[] bits = new long[(vocabulary.size + 63) >>> 6];
        for (int i = 0; i < allowedCount; i++) {
            bits[allowed[i] >>> 6] |= 1L << allowed[i];
        }
        return new StateMask(null, bits, uncertain, shared);
    }

    /** Whether a state only reads bytes: no rule to enter, and its rule may not end there. */
    private boolean isPlain(int state) {
        return !grammar.canEnd[state] && grammar.refStart[state] == grammar.refStart[state + 1];
    }

    /** A state's byte transitions as a table of 256 (−1: none), made the first time a walk needs it. */
    private int[] transitions(int[][] dense, int state) {
        int[] t = dense[state];
        if (t == null) {
            t = new int[256];
            for (int b = 0; b < 256; b++) {
                t[b] = grammar.next(state, b);
            }
            dense[state] = t;
        }
        return t;
    }

    /**
     * Sets the bits of the uncertain tokens of {@code top}'s state that its real stack takes. The
     * masks assume settled stacks ({@link Parser#settle}): a rule ending before the first byte is
     * followed from its caller's own top.
     */
    void orUncertain(Frame top, StateMask mask, long[] bits, Parser p) {
        int[] uncertain = mask.uncertain();
        if (uncertain.length == 0) {
            return;
        }
        int[] shared = mask.uncertainShared();
        Frame[][] at = new Frame[longest + 1][];
        Frame[][] expanded = new Frame[longest + 1][];
        at[0] = new Frame[]{top};
        int valid = 0;
        for (int i = 0; i < uncertain.length; i++) {
            int id = vocabulary.sorted[uncertain[i]];
            byte[] b = vocabulary.bytes[id];
            int d = Math.min(valid, shared[i]);
            while (d < b.length && at[d].length > 0) {
                if (expanded[d] == null) {
                    expanded[d] = p.expand(at[d]);
                }
                at[d + 1] = p.advance(expanded[d], b[d] & 0xFF);
                expanded[d + 1] = null;
                d++;
            }
            valid = d;
            if (d == b.length && at[d].length > 0) {
                bits[id >>> 6] |= 1L << id;
            }
        }
    }
}
