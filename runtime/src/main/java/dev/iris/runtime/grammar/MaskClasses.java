package dev.iris.runtime.grammar;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Groups the states no token can tell apart, so that their masks are computed once: states that
 * only read bytes inside one rule and whose next {@code depth} bytes (the longest token) lead
 * through the same transitions to states of the same groups. The positions of a long bounded
 * string ({@code "maxLength": 1000}) are one group until the end is within a token's reach.
 * Every state that enters or may leave a rule is a group of its own. Partition refinement, one
 * byte deeper per round, stopping early once the groups no longer split.
 */
final class MaskClasses {

    private MaskClasses() {
    }

    /** Per state, its group (groups numbered from 0). */
    static int[] of(CompiledGrammar g, int depth) {
        int n = g.stateCount;
        int[] group = new int[n];
        Map<Key, Integer> ids = new HashMap<>();
        for (int s = 0; s < n; s++) {
            group[s] = ids.computeIfAbsent(plain(g, s) ? new Key(new int[]{-1, g.ruleOf[s]}) : new Key(new int[]{-2, s}),
                    k -> ids.size());
        }
        int groups = ids.size();
        for (int round = 0; round < depth && groups < n; round++) {
            ids.clear();
            int[] next = new int[n];
            for (int s = 0; s < n; s++) {
                int from = g.edgeStart[s];
                int edges = g.edgeStart[s + 1] - from;
                int[] key = new int[1 + 3 * edges];
                key[0] = group[s];
                for (int i = 0; i < edges; i++) {
                    key[1 + 3 * i] = g.edgeLo[from + i];
                    key[2 + 3 * i] = g.edgeHi[from + i];
                    key[3 + 3 * i] = group[g.edgeTo[from + i]];
                }
                next[s] = ids.computeIfAbsent(new Key(key), k -> ids.size());
            }
            group = next;
            if (ids.size() == groups) {
                break; // no group split: deeper rounds would split none either
            }
            groups = ids.size();
        }
        return group;
    }

    /** Reads bytes only: enters no rule, and its rule may not end there. */
    private static boolean plain(CompiledGrammar g, int s) {
        return !g.canEnd[s] && g.refStart[s] == g.refStart[s + 1];
    }

    private record Key(int[] v) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(v, k.v);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(v);
        }
    }
}
