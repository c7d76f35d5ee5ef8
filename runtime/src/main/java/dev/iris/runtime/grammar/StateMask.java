package dev.iris.runtime.grammar;

/**
 * The tokens one automaton state decides on its own (as xgrammar's adaptive mask cache): tokens
 * read to their end inside the state's rule are allowed whatever called the rule; tokens that
 * die inside it are forbidden; only tokens that may run past the end of the rule, into bytes
 * its callers might take, are left to be checked against the real stack at run time.
 *
 * @param allowedIds      allowed token ids when few; null when {@code allowedBits} holds them
 * @param allowedBits     allowed token ids as a bit set over the vocabulary; null when {@code allowedIds} holds them
 * @param uncertain       positions in {@link TokenVocabulary#sorted} of the tokens left to run time, ascending
 * @param uncertainShared per entry of {@code uncertain}: bytes it shares with the entry before it
 */
record StateMask(int[] allowedIds, long[] allowedBits, int[] uncertain, int[] uncertainShared) {

    /** Sets the bits of the tokens allowed whatever the context. */
    void orAllowed(long[] bits) {
        if (allowedBits != null) {
            for (int i = 0; i < bits.length; i++) {
                bits[i] |= allowedBits[i];
            }
        } else {
            for (int id : allowedIds) {
                bits[id >>> 6] |= 1L << id;
            }
        }
    }

    /** Memory it holds, roughly. */
    long bytes() {
        long ids = allowedIds == null ? 0 : 4L * allowedIds.length;
        long bits = allowedBits == null ? 0 : 8L * allowedBits.length;
        return 64 + ids + bits + 8L * uncertain.length;
    }
}
