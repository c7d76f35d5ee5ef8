package dev.iris.runtime.engine;

/**
 * How many prompt tokens one step may compute. Either a fixed chunk ({@code --chunked-prefill-size}),
 * or, where no size was asked for on a CPU, a chunk sized so a step takes about a target time at
 * the prefill speed measured so far: SGLang's 8192 suits a GPU, but on two cores it is minutes of
 * one step, during which every running request waits for its next token.
 */
final class PrefillBudget {

    /** The first adaptive chunk, before any step was measured. */
    private static final int FIRST_CHUNK = 256;
    /** The smallest adaptive chunk: fewer rows would waste the weight reads a step costs anyway. */
    private static final int MIN_CHUNK = 32;
    /** Steps with fewer prompt tokens say little about the speed. */
    private static final int MIN_MEASURED = 16;
    /** Weight of the newest measurement. */
    private static final double ALPHA = 0.5;

    private final int cap;
    private final double targetSeconds;
    /** Prompt tokens per second, as measured; 0 before the first measurement. */
    private double tokensPerSecond;

    /**
     * @param cap           the most prompt tokens a step takes (Integer.MAX_VALUE: whole prompts)
     * @param targetSeconds how long a step should take; 0 for fixed chunks of {@code cap}
     */
    PrefillBudget(int cap, double targetSeconds) {
        this.cap = cap;
        this.targetSeconds = targetSeconds;
    }

    boolean adaptive() {
        return targetSeconds > 0;
    }

    /** Prompt tokens the next step may take. */
    int tokens() {
        if (!adaptive()) {
            return cap;
        }
        double chunk = tokensPerSecond == 0 ? FIRST_CHUNK : tokensPerSecond * targetSeconds;
        return (int) Math.min(cap, Math.max(MIN_CHUNK, chunk));
    }

    /** A step computed {@code promptTokens} prompt tokens in {@code nanos}. */
    void measured(int promptTokens, long nanos) {
        if (!adaptive() || promptTokens < MIN_MEASURED || nanos <= 0) {
            return;
        }
        double speed = promptTokens / (nanos / 1e9);
        tokensPerSecond = tokensPerSecond == 0 ? speed : ALPHA * speed + (1 - ALPHA) * tokensPerSecond;
    }
}
