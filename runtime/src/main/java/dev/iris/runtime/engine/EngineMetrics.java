package dev.iris.runtime.engine;

/**
 * A snapshot of an engine's load and totals, for the metrics endpoint and {@code /get_server_info}
 * (SGLang's {@code sglang:*} gauges and counters).
 *
 * @param runningRequests       requests in the running batch
 * @param queuedRequests        requests waiting to be admitted (retracted ones included)
 * @param usedTokens            K/V tokens held by running requests (cached prefixes nobody uses
 *                              count as free: they are evicted on demand)
 * @param tokenUsage            {@code usedTokens} over the pool's tokens, 0 to 1
 * @param genThroughput         generated tokens per second over the last decode log interval
 * @param cacheHitRate          prompt tokens served by the prefix cache over all prompt tokens admitted
 * @param promptTokensTotal     prompt tokens of finished requests
 * @param generationTokensTotal tokens generated for finished requests
 * @param cachedTokensTotal     prompt tokens of finished requests that came from the prefix cache
 * @param requestsTotal         requests finished (stopped or at their length limit)
 * @param retractionsTotal      times a running request was retracted to free pages for the others
 * @param imagesEncodedTotal    images that went through the vision tower
 * @param imageCacheHitsTotal   images whose features came from the encoded-image cache instead
 * @param imageCacheBytes       bytes of image features the cache keeps for reuse now
 */
public record EngineMetrics(int runningRequests, int queuedRequests, long usedTokens, double tokenUsage,
                            double genThroughput, double cacheHitRate, long promptTokensTotal,
                            long generationTokensTotal, long cachedTokensTotal, long requestsTotal,
                            long retractionsTotal, long imagesEncodedTotal, long imageCacheHitsTotal,
                            long imageCacheBytes) {
}
