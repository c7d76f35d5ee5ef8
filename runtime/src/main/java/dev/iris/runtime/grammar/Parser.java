package dev.iris.runtime.grammar;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs a {@link CompiledGrammar} over bytes. A parse state is the set of stacks still alive; a
 * byte first expands each stack (enter the rules its top state refers to, leave rules that may
 * end) and then moves every top that has an edge for it. No left recursion (refused when
 * compiling), so the expansion ends.
 */
final class Parser {

    private final CompiledGrammar g;
    /** Set by {@link #expand}: some stack may end the whole text here. */
    boolean complete;
    /** Set by {@link #expand}: some stack may leave the rule below which nothing is known ({@link Frame#BOTTOM}). */
    boolean leavesBottom;

    Parser(CompiledGrammar g) {
        this.g = g;
    }

    /** The stacks at the start of the text: the root rule's start state. */
    Frame[] start() {
        return new Frame[]{new Frame(g.rootStart(), null)};
    }

    /** The stacks whose top reads bytes, after entering and leaving rules from {@code tops}; sets the flags. */
    Frame[] expand(Frame[] tops) {
        complete = false;
        leavesBottom = false;
        if (tops.length == 1 && isPlain(tops[0].state)) {
            return tops; // the common case: a state inside one rule, no rule to enter or leave
        }
        List<Frame> work = new ArrayList<>(List.of(tops));
        Set<Frame> seen = new HashSet<>();
        List<Frame> out = new ArrayList<>();
        while (!work.isEmpty()) {
            Frame f = work.removeLast();
            if (f == Frame.BOTTOM || !seen.add(f)) {
                continue;
            }
            int s = f.state;
            if (g.readsBytes(s)) {
                out.add(f);
            }
            for (int i = g.refStart[s]; i < g.refStart[s + 1]; i++) {
                work.add(new Frame(g.ruleStart[g.refRule[i]], new Frame(g.refReturn[i], f.parent)));
            }
            if (g.accepting[s]) {
                if (f.parent == null) {
                    complete = true;
                } else if (f.parent == Frame.BOTTOM) {
                    leavesBottom = true;
                } else {
                    work.add(f.parent);
                }
            }
        }
        return out.toArray(Frame[]::new);
    }

    /** Whether a state only reads bytes: it neither refers to a rule nor may end its rule. */
    private boolean isPlain(int state) {
        return !g.accepting[state] && g.refStart[state] == g.refStart[state + 1];
    }

    /** The stacks after byte {@code b}, from expanded stacks; empty when none takes it. */
    Frame[] advance(Frame[] expanded, int b) {
        if (expanded.length == 1) {
            Frame f = expanded[0];
            int t = g.next(f.state, b);
            return t < 0 ? NONE : new Frame[]{t == f.state ? f : new Frame(t, f.parent)};
        }
        List<Frame> out = new ArrayList<>(expanded.length);
        Set<Frame> seen = expanded.length > 4 ? new HashSet<>() : null;
        for (Frame f : expanded) {
            int t = g.next(f.state, b);
            if (t >= 0) {
                Frame n = t == f.state ? f : new Frame(t, f.parent);
                if (seen == null ? !out.contains(n) : seen.add(n)) {
                    out.add(n);
                }
            }
        }
        return out.toArray(Frame[]::new);
    }

    /**
     * The same stacks with every rule that may end left for its caller too: a top whose rule may
     * end also brings its caller's frame (so a mask need not follow it out of its rule at the
     * first byte), and a top that can only end is replaced by its caller's. Then each top sits in
     * the outermost rule that can still hold the text, whose state masks decide most tokens alone
     * (inside a JSON string, the string rule rather than the one-character rule it repeats).
     */
    Frame[] settle(Frame[] tops) {
        List<Frame> out = new ArrayList<>(tops.length + 2);
        for (Frame f : tops) {
            settle(f, out);
        }
        return out.toArray(Frame[]::new);
    }

    private void settle(Frame f, List<Frame> out) {
        int s = f.state;
        boolean realCaller = f.parent != null && f.parent != Frame.BOTTOM;
        boolean onlyEnds = !g.readsBytes(s) && g.refStart[s] == g.refStart[s + 1];
        if ((!onlyEnds || !realCaller) && !out.contains(f)) {
            out.add(f);
        }
        if (g.canEnd[s] && realCaller) {
            settle(f.parent, out);
        }
    }

    /** The stacks after these bytes from {@code tops}; empty when the bytes leave the language. */
    Frame[] feed(Frame[] tops, byte[] bytes, int from, int to) {
        Frame[] at = tops;
        for (int i = from; i < to && at.length > 0; i++) {
            at = advance(expand(at), bytes[i] & 0xFF);
        }
        return at;
    }

    /** Whether the text may end with these stacks. */
    boolean canEnd(Frame[] tops) {
        expand(tops);
        return complete;
    }

    /** Whether no byte can follow these stacks. */
    boolean closed(Frame[] tops) {
        return expand(tops).length == 0;
    }

    static final Frame[] NONE = new Frame[0];
}
