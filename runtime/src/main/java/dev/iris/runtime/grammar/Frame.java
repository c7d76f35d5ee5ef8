package dev.iris.runtime.grammar;

/**
 * One entry of a parse stack: a state of some rule's automaton, and below it the frame to come
 * back to when that rule ends. Stacks share their tails, so a set of alternative parses costs
 * only their differing tops. {@link #BOTTOM} stands for an unknown caller while token masks are
 * precomputed for one state; a null parent is the end of the text's own stack.
 */
final class Frame {

    /** Below the state a mask is computed for: whoever called its rule, not known yet. */
    static final Frame BOTTOM = new Frame(-1, null);

    final int state;
    final Frame parent;
    private final int hash;

    Frame(int state, Frame parent) {
        this.state = state;
        this.parent = parent;
        this.hash = 31 * state + (parent == null ? 0 : parent.hash);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Frame f) || f.hash != hash || f.state != state) {
            return false;
        }
        return parent == null ? f.parent == null : parent.equals(f.parent);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
