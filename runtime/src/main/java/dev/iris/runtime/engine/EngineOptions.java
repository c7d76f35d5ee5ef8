package dev.iris.runtime.engine;

/**
 * How an engine sizes its K/V cache and forms batches (SGLang's flags).
 *
 * @param pageSize           tokens per K/V page ({@code --page-size}, default 1)
 * @param maxTotalTokens     K/V tokens in the pool ({@code --max-total-tokens}); 0 to size from memory
 * @param memFraction        with {@code maxTotalTokens} 0: fraction of the free heap the pool may take
 *                           ({@code --mem-fraction-static})
 * @param prefixCache        reuse the K/V of earlier requests' common prefixes (off with
 *                           {@code --disable-radix-cache})
 * @param maxRunningRequests requests decoding together at most ({@code --max-running-requests})
 * @param chunkedPrefillSize prompt tokens computed per step at most, so running requests keep
 *                           decoding between the chunks of a long prompt ({@code --chunked-prefill-size};
 *                           0 or less: whole prompts)
 * @param schedulePolicy     the order waiting requests are admitted in ({@code --schedule-policy})
 * @param decodeLogInterval  decode steps between two "Decode batch" log lines
 *                           ({@code --decode-log-interval})
 */
public record EngineOptions(int pageSize, int maxTotalTokens, double memFraction, boolean prefixCache,
                            int maxRunningRequests, int chunkedPrefillSize, SchedulePolicy schedulePolicy,
                            int decodeLogInterval) {

    /** Page size 1, pool sized to 80% of the free heap, prefix cache on, 200 running, chunks of 8192, FCFS. */
    public static final EngineOptions DEFAULTS = new EngineOptions(1, 0, 0.8, true, 200, 8192);

    public EngineOptions {
        if (maxRunningRequests <= 0) {
            throw new IllegalArgumentException("max running requests must be positive, got " + maxRunningRequests);
        }
        if (decodeLogInterval <= 0) {
            throw new IllegalArgumentException("decode log interval must be positive, got " + decodeLogInterval);
        }
    }

    /** Options with first-come-first-served admission and a decode log line every 40 steps. */
    public EngineOptions(int pageSize, int maxTotalTokens, double memFraction, boolean prefixCache,
                         int maxRunningRequests, int chunkedPrefillSize) {
        this(pageSize, maxTotalTokens, memFraction, prefixCache, maxRunningRequests, chunkedPrefillSize,
                SchedulePolicy.FCFS, 40);
    }

    /** These options with another admission order. */
    public EngineOptions withSchedulePolicy(SchedulePolicy policy) {
        return new EngineOptions(pageSize, maxTotalTokens, memFraction, prefixCache, maxRunningRequests,
                chunkedPrefillSize, policy, decodeLogInterval);
    }
}
