package dev.iris.runtime.stop;

/**
 * Applies {@link StopConditions} to a generation token by token. Text that could still be the
 * start of a stop string is held back until it cannot, so a stop string split across tokens is
 * caught and never shown, and the text emitted step by step (streaming) concatenates to exactly
 * the text of the whole generation (non-streaming).
 */
public final class StopMatcher {

    /** Why generation ended. */
    public enum FinishReason { STOP, LENGTH }

    /**
     * The outcome of one token.
     *
     * @param text         text to show now (possibly empty)
     * @param finish       null while generation goes on
     * @param matchedStop  the stop string or token id that ended it, or null
     */
    public record Step(String text, FinishReason finish, Object matchedStop) {
        public boolean finished() {
            return finish != null;
        }
    }

    private final StopConditions conditions;
    private final StringBuilder held = new StringBuilder();
    private int generated;

    public StopMatcher(StopConditions conditions) {
        this.conditions = conditions;
    }

    /** Tokens accepted so far. */
    public int generated() {
        return generated;
    }

    /**
     * Accepts the next token and the text it adds (from the incremental detokenizer).
     *
     * @throws IllegalStateException after generation has finished
     */
    public Step accept(int token, String text) {
        generated++;
        boolean mayStop = generated > conditions.minNewTokens();
        if (mayStop && !conditions.ignoreEos()
                && (conditions.eosTokenIds().contains(token) || conditions.stopTokenIds().contains(token))) {
            return new Step(flush(), FinishReason.STOP, token);
        }
        held.append(text);
        if (mayStop) {
            int at = Integer.MAX_VALUE;
            String match = null;
            for (String s : conditions.stopStrings()) {
                int i = held.indexOf(s);
                if (i >= 0 && i < at) {
                    at = i;
                    match = s;
                }
            }
            if (match != null) {
                String out = held.substring(0, conditions.keepStopString() ? at + match.length() : at);
                held.setLength(0);
                return new Step(out, FinishReason.STOP, match);
            }
        }
        if (generated >= conditions.maxNewTokens() || generated >= conditions.contextRoom()) {
            return new Step(flush(), FinishReason.LENGTH, null);
        }
        int keep = heldBackLength();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return new Step(out, null, null);
    }

    /** Ends generation here (the output's grammar is complete), releasing the text held back. */
    public Step end() {
        return new Step(flush(), FinishReason.STOP, null);
    }

    /** The longest suffix of the held text that is a proper prefix of some stop string. */
    private int heldBackLength() {
        int best = 0;
        String text = held.toString();
        for (String s : conditions.stopStrings()) {
            for (int len = Math.min(s.length() - 1, text.length()); len > best; len--) {
                if (text.regionMatches(text.length() - len, s, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }

    private String flush() {
        String out = held.toString();
        held.setLength(0);
        return out;
    }
}
