package dev.iris.runtime.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compiles a {@link Grammar}: each rule becomes a Thompson NFA over bytes and rule references,
 * then a DFA by subset construction, so a position inside a rule is one state and only rule
 * references (a stack) stay non-deterministic. Refuses grammars too large to hold and left
 * recursion (a rule that can reach itself before reading a byte), as GBNF does.
 */
public final class GrammarCompiler {

    /** The most DFA states a grammar may have, over all rules. */
    public static final int MAX_STATES = 200_000;
    /** The most NFA states one rule may expand to (bounded repetitions are unrolled). */
    private static final int MAX_NFA_STATES = 400_000;

    private GrammarCompiler() {
    }

    /** Rules of at most this many expression nodes (no recursion) are written into the rules that use them. */
    static final int INLINE_SIZE = 64;

    /** Compiles a grammar; a {@link GrammarException} names what is wrong with it. */
    public static CompiledGrammar compile(Grammar grammar) {
        grammar = Inliner.inline(grammar, INLINE_SIZE);
        List<String> names = new ArrayList<>(grammar.rules().keySet());
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            ids.put(names.get(i), i);
        }
        CompiledGrammar.Builder out = new CompiledGrammar.Builder(names, ids.get(grammar.root()));
        for (int r = 0; r < names.size(); r++) {
            Nfa nfa = new Nfa(ids, names.get(r));
            int end = nfa.build(grammar.rules().get(names.get(r)), 0);
            determinize(nfa, end, r, out);
        }
        return out.build();
    }

    /** A Thompson NFA of one rule: state 0 starts it. */
    private static final class Nfa {
        final Map<String, Integer> ruleIds;
        final String rule;
        /** Per state: byte edges {@code lo, hi, to}, reference edges {@code rule, to}, ε edges. */
        final List<int[]> byteEdges = new ArrayList<>();
        final List<int[]> refEdges = new ArrayList<>();
        final List<int[]> epsEdges = new ArrayList<>();

        Nfa(Map<String, Integer> ruleIds, String rule) {
            this.ruleIds = ruleIds;
            this.rule = rule;
            newState();
        }

        int size() {
            return byteEdges.size();
        }

        int newState() {
            if (byteEdges.size() >= MAX_NFA_STATES) {
                throw new GrammarException("the grammar is too large: rule '" + rule + "' expands to over "
                        + MAX_NFA_STATES + " states (a long bounded repetition?)");
            }
            byteEdges.add(new int[0]);
            refEdges.add(new int[0]);
            epsEdges.add(new int[0]);
            return byteEdges.size() - 1;
        }

        private static void add(List<int[]> edges, int state, int... edge) {
            int[] old = edges.get(state);
            int[] now = Arrays.copyOf(old, old.length + edge.length);
            System.arraycopy(edge, 0, now, old.length, edge.length);
            edges.set(state, now);
        }

        void eps(int from, int to) {
            add(epsEdges, from, to);
        }

        /** Adds the expression's states after {@code from}; returns the state it ends in. */
        int build(Expr e, int from) {
            return switch (e) {
                case Expr.Literal l -> {
                    int at = from;
                    for (byte b : l.bytes()) {
                        int next = newState();
                        add(byteEdges, at, b & 0xFF, b & 0xFF, next);
                        at = next;
                    }
                    yield at;
                }
                case Expr.CharSet c -> {
                    int end = newState();
                    int[] ranges = c.ranges();
                    for (int i = 0; i < ranges.length; i += 2) {
                        for (int[] seq : Utf8Ranges.sequences(ranges[i], ranges[i + 1])) {
                            int at = from;
                            for (int k = 0; k < seq.length; k += 2) {
                                int next = k + 2 == seq.length ? end : newState();
                                add(byteEdges, at, seq[k], seq[k + 1], next);
                                at = next;
                            }
                        }
                    }
                    yield end;
                }
                case Expr.Seq s -> {
                    int at = from;
                    for (Expr item : s.items()) {
                        at = build(item, at);
                    }
                    yield at;
                }
                case Expr.Alt a -> {
                    int end = newState();
                    for (Expr option : a.options()) {
                        int start = newState();
                        eps(from, start);
                        eps(build(option, start), end);
                    }
                    yield end;
                }
                case Expr.Repeat r -> {
                    int at = from;
                    for (int i = 0; i < r.min(); i++) {
                        at = build(r.item(), at);
                    }
                    if (r.max() == Expr.UNBOUNDED) {
                        int loop = newState();
                        eps(at, loop);
                        eps(build(r.item(), loop), loop);
                        yield loop;
                    }
                    int end = newState();
                    for (int i = r.min(); i < r.max(); i++) {
                        eps(at, end);
                        at = build(r.item(), at);
                    }
                    eps(at, end);
                    yield end;
                }
                case Expr.Ref ref -> {
                    Integer id = ruleIds.get(ref.rule());
                    if (id == null) {
                        throw new GrammarException("rule '" + rule + "' refers to an undefined rule '" + ref.rule() + "'");
                    }
                    int next = newState();
                    add(refEdges, from, id, next);
                    yield next;
                }
            };
        }

        BitSet closure(BitSet states) {
            BitSet out = (BitSet) states.clone();
            int[] stack = states.stream().toArray();
            int top = stack.length;
            stack = Arrays.copyOf(stack, Math.max(16, top));
            while (top > 0) {
                int s = stack[--top];
                for (int t : epsEdges.get(s)) {
                    if (!out.get(t)) {
                        out.set(t);
                        if (top == stack.length) {
                            stack = Arrays.copyOf(stack, top * 2);
                        }
                        stack[top++] = t;
                    }
                }
            }
            return out;
        }
    }

    /** Subset construction of one rule's NFA into the builder's shared state space. */
    private static void determinize(Nfa nfa, int end, int rule, CompiledGrammar.Builder out) {
        Map<BitSet, Integer> seen = new HashMap<>();
        List<BitSet> pending = new ArrayList<>();
        BitSet start = new BitSet();
        start.set(0);
        start = nfa.closure(start);
        seen.put(start, out.newState(rule, start.get(end)));
        pending.add(start);
        while (!pending.isEmpty()) {
            BitSet set = pending.removeLast();
            int from = seen.get(set);
            // Byte edges: cut 0..255 at every range boundary, then one target set per piece.
            BitSet cuts = new BitSet(257);
            TreeMap<Integer, BitSet> refTargets = new TreeMap<>();
            for (int s = set.nextSetBit(0); s >= 0; s = set.nextSetBit(s + 1)) {
                int[] edges = nfa.byteEdges.get(s);
                for (int i = 0; i < edges.length; i += 3) {
                    cuts.set(edges[i]);
                    cuts.set(edges[i + 1] + 1);
                }
                int[] refs = nfa.refEdges.get(s);
                for (int i = 0; i < refs.length; i += 2) {
                    refTargets.computeIfAbsent(refs[i], k -> new BitSet()).set(refs[i + 1]);
                }
            }
            int lo = cuts.nextSetBit(0);
            while (lo >= 0 && lo < 256) {
                int nextCut = cuts.nextSetBit(lo + 1);
                if (nextCut < 0) {
                    break; // the last cut is one past the highest range: nothing starts there
                }
                int hi = nextCut - 1;
                BitSet target = new BitSet();
                for (int s = set.nextSetBit(0); s >= 0; s = set.nextSetBit(s + 1)) {
                    int[] edges = nfa.byteEdges.get(s);
                    for (int i = 0; i < edges.length; i += 3) {
                        if (edges[i] <= lo && hi <= edges[i + 1]) {
                            target.set(edges[i + 2]);
                        }
                    }
                }
                if (!target.isEmpty()) {
                    out.byteEdge(from, lo, hi, stateOf(nfa.closure(target), seen, pending, out, rule, end));
                }
                lo = nextCut;
            }
            for (Map.Entry<Integer, BitSet> e : refTargets.entrySet()) {
                out.refEdge(from, e.getKey(), stateOf(nfa.closure(e.getValue()), seen, pending, out, rule, end));
            }
        }
    }

    private static int stateOf(BitSet set, Map<BitSet, Integer> seen, List<BitSet> pending,
                               CompiledGrammar.Builder out, int rule, int end) {
        Integer id = seen.get(set);
        if (id == null) {
            if (out.states() >= MAX_STATES) {
                throw new GrammarException("the grammar is too large: over " + MAX_STATES + " automaton states");
            }
            id = out.newState(rule, set.get(end));
            seen.put(set, id);
            pending.add(set);
        }
        return id;
    }
}
