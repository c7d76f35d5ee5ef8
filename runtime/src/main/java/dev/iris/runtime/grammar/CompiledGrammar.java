package dev.iris.runtime.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A grammar as automata: one DFA per rule, numbered in one state space. A state has byte edges
 * (sorted, disjoint ranges), reference edges (enter rule {@code r}, come back to state {@code t}),
 * and is accepting when its rule may end there. Also holds what the token masks need beyond the
 * automata: which rules may match the empty string, and which bytes may follow each rule.
 * Immutable; shared by every request with the same constraint.
 */
public final class CompiledGrammar {

    final int stateCount;
    final int root;
    final String[] ruleNames;
    final int[] ruleStart;
    final int[] ruleOf;
    final boolean[] accepting;
    // Byte edges of state s: indices [edgeStart[s], edgeStart[s + 1]).
    final int[] edgeStart;
    final int[] edgeLo;
    final int[] edgeHi;
    final int[] edgeTo;
    // Reference edges of state s: indices [refStart[s], refStart[s + 1]).
    final int[] refStart;
    final int[] refRule;
    final int[] refReturn;
    /** Per state: whether its rule may end there, also through rules that match the empty string. */
    final boolean[] canEnd;
    /** Per rule: whether it matches the empty string. */
    final boolean[] nullable;
    /** Per rule: the bytes that may come right after it (256 bits), and whether the text may end after it. */
    final long[][] follow;
    final boolean[] followedByEnd;

    private CompiledGrammar(Builder b) {
        this.stateCount = b.ruleOf.size();
        this.root = b.root;
        this.ruleNames = b.names.toArray(String[]::new);
        this.ruleOf = b.ruleOf.stream().mapToInt(Integer::intValue).toArray();
        this.accepting = new boolean[stateCount];
        this.ruleStart = new int[ruleNames.length];
        Arrays.fill(ruleStart, -1);
        for (int s = stateCount - 1; s >= 0; s--) {
            accepting[s] = b.accepting.get(s);
            ruleStart[ruleOf[s]] = s; // the first state made for a rule is its start
        }
        this.edgeStart = new int[stateCount + 1];
        this.refStart = new int[stateCount + 1];
        int edges = 0;
        int refs = 0;
        for (int s = 0; s < stateCount; s++) {
            edges += b.edges.get(s).size() / 3;
            refs += b.refs.get(s).size() / 2;
        }
        edgeLo = new int[edges];
        edgeHi = new int[edges];
        edgeTo = new int[edges];
        refRule = new int[refs];
        refReturn = new int[refs];
        edges = 0;
        refs = 0;
        for (int s = 0; s < stateCount; s++) {
            edgeStart[s] = edges;
            List<Integer> e = b.edges.get(s);
            for (int i = 0; i < e.size(); i += 3, edges++) {
                edgeLo[edges] = e.get(i);
                edgeHi[edges] = e.get(i + 1);
                edgeTo[edges] = e.get(i + 2);
            }
            refStart[s] = refs;
            List<Integer> r = b.refs.get(s);
            for (int i = 0; i < r.size(); i += 2, refs++) {
                refRule[refs] = r.get(i);
                refReturn[refs] = r.get(i + 1);
            }
        }
        edgeStart[stateCount] = edges;
        refStart[stateCount] = refs;
        this.nullable = new boolean[ruleNames.length];
        this.canEnd = canEnd();
        for (int r = 0; r < ruleNames.length; r++) {
            nullable[r] = canEnd[ruleStart[r]];
        }
        refuseLeftRecursion();
        this.follow = new long[ruleNames.length][4];
        this.followedByEnd = new boolean[ruleNames.length];
        follow(canEnd);
    }

    /** The state after byte {@code b} from {@code state} inside its rule, or −1. */
    int next(int state, int b) {
        for (int i = edgeStart[state], end = edgeStart[state + 1]; i < end; i++) {
            if (b <= edgeHi[i]) {
                return b >= edgeLo[i] ? edgeTo[i] : -1;
            }
        }
        return -1;
    }

    /** Whether a state has any byte edge. */
    boolean readsBytes(int state) {
        return edgeStart[state] < edgeStart[state + 1];
    }

    /** The start state of the root rule. */
    int rootStart() {
        return ruleStart[root];
    }

    /** States in the grammar (over all rules). */
    public int states() {
        return stateCount;
    }

    private boolean[] canEnd() {
        boolean[] canEnd = accepting.clone();
        boolean[] ruleNullable = new boolean[ruleNames.length];
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int r = 0; r < ruleNames.length; r++) {
                if (!ruleNullable[r] && canEnd[ruleStart[r]]) {
                    ruleNullable[r] = changed = true;
                }
            }
            for (int s = 0; s < stateCount; s++) {
                for (int i = refStart[s]; i < refStart[s + 1] && !canEnd[s]; i++) {
                    if (ruleNullable[refRule[i]] && canEnd[refReturn[i]]) {
                        canEnd[s] = changed = true;
                    }
                }
            }
        }
        return canEnd;
    }

    /** States a rule reaches from its start without reading a byte (through rules that match nothing). */
    private List<Integer> leftStates(int rule) {
        List<Integer> out = new ArrayList<>(List.of(ruleStart[rule]));
        for (int k = 0; k < out.size(); k++) {
            int s = out.get(k);
            for (int i = refStart[s]; i < refStart[s + 1]; i++) {
                if (nullable[refRule[i]] && !out.contains(refReturn[i])) {
                    out.add(refReturn[i]);
                }
            }
        }
        return out;
    }

    private void refuseLeftRecursion() {
        int n = ruleNames.length;
        List<List<Integer>> calls = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            List<Integer> c = new ArrayList<>();
            for (int s : leftStates(r)) {
                for (int i = refStart[s]; i < refStart[s + 1]; i++) {
                    c.add(refRule[i]);
                }
            }
            calls.add(c);
        }
        int[] mark = new int[n]; // 0 new, 1 on the path, 2 done
        for (int r = 0; r < n; r++) {
            List<Integer> path = new ArrayList<>();
            if (mark[r] == 0 && cycle(r, calls, mark, path)) {
                List<String> names = path.stream().map(i -> ruleNames[i]).toList();
                throw new GrammarException("left recursion is not supported: rule '" + names.getLast()
                        + "' can reach itself before reading any text (" + String.join(" -> ", names) + ")");
            }
        }
    }

    private static boolean cycle(int r, List<List<Integer>> calls, int[] mark, List<Integer> path) {
        mark[r] = 1;
        path.add(r);
        for (int q : calls.get(r)) {
            if (mark[q] == 1) {
                path.add(q);
                return true;
            }
            if (mark[q] == 0 && cycle(q, calls, mark, path)) {
                return true;
            }
        }
        mark[r] = 2;
        path.removeLast();
        return false;
    }

    /** FIRST bytes of every state, then FOLLOW bytes of every rule, to a fixed point. */
    private void follow(boolean[] canEnd) {
        long[][] first = new long[stateCount][4];
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int s = 0; s < stateCount; s++) {
                long[] f = first[s];
                long[] before = f.clone();
                for (int i = edgeStart[s]; i < edgeStart[s + 1]; i++) {
                    for (int b = edgeLo[i]; b <= edgeHi[i]; b++) {
                        f[b >> 6] |= 1L << b;
                    }
                }
                for (int i = refStart[s]; i < refStart[s + 1]; i++) {
                    or(f, first[ruleStart[refRule[i]]]);
                    if (nullable[refRule[i]]) {
                        or(f, first[refReturn[i]]);
                    }
                }
                changed |= !Arrays.equals(before, f);
            }
        }
        followedByEnd[root] = true;
        changed = true;
        while (changed) {
            changed = false;
            for (int s = 0; s < stateCount; s++) {
                for (int i = refStart[s]; i < refStart[s + 1]; i++) {
                    int callee = refRule[i];
                    int ret = refReturn[i];
                    long[] before = follow[callee].clone();
                    boolean endBefore = followedByEnd[callee];
                    or(follow[callee], first[ret]);
                    if (canEnd[ret]) {
                        or(follow[callee], follow[ruleOf[s]]);
                        followedByEnd[callee] |= followedByEnd[ruleOf[s]];
                    }
                    changed |= !Arrays.equals(before, follow[callee]) || endBefore != followedByEnd[callee];
                }
            }
        }
    }

    private static void or(long[] into, long[] from) {
        for (int i = 0; i < 4; i++) {
            into[i] |= from[i];
        }
    }

    /** Collects the automata while {@link GrammarCompiler} builds them. */
    static final class Builder {
        final List<String> names;
        final int root;
        final List<Integer> ruleOf = new ArrayList<>();
        final java.util.BitSet accepting = new java.util.BitSet();
        final List<List<Integer>> edges = new ArrayList<>();
        final List<List<Integer>> refs = new ArrayList<>();

        Builder(List<String> names, int root) {
            this.names = names;
            this.root = root;
        }

        int states() {
            return ruleOf.size();
        }

        int newState(int rule, boolean accepts) {
            int id = ruleOf.size();
            ruleOf.add(rule);
            accepting.set(id, accepts);
            edges.add(new ArrayList<>());
            refs.add(new ArrayList<>());
            return id;
        }

        /** Adds {@code lo..hi → to}; ranges come in ascending order, and touching ones to one target merge. */
        void byteEdge(int from, int lo, int hi, int to) {
            List<Integer> e = edges.get(from);
            int n = e.size();
            if (n > 0 && e.get(n - 2) + 1 == lo && e.get(n - 1) == to) {
                e.set(n - 2, hi);
            } else {
                e.add(lo);
                e.add(hi);
                e.add(to);
            }
        }

        void refEdge(int from, int rule, int to) {
            refs.get(from).add(rule);
            refs.get(from).add(to);
        }

        CompiledGrammar build() {
            return new CompiledGrammar(this);
        }
    }
}
