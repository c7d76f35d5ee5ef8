package dev.iris.runtime.engine;

import dev.iris.api.tensor.DType;

/**
 * How an engine sizes its K/V cache and forms batches (SGLang's flags).
 *
 * @param pageSize           tokens per K/V page ({@code --page-size}, default 1)
 * @param maxTotalTokens     K/V tokens in the pool ({@code --max-total-tokens}); 0 for what
 *                           {@code maxRunningRequests} whole contexts need, capped by memory
 * @param memFraction        with {@code maxTotalTokens} 0: fraction of the free memory the pool may take
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
 * @param imageCacheBytes    bytes of vision-tower outputs kept by image content for later requests
 *                           ({@code --image-cache-size}, in MiB there); 0 keeps none
 * @param contextLength      the context length prompts and outputs must fit ({@code --context-length});
 *                           0 for the model's own
 * @param randomSeed         seeds the sampling of requests that give no seed ({@code --random-seed});
 *                           null for a random start
 * @param kvCacheDtype       how K/V are stored ({@code --kv-cache-dtype}); null for the attention
 *                           backend's preferred type (BF16 on the CPU)
 * @param prefillStepSeconds when positive, prompt chunks are sized (up to {@code chunkedPrefillSize})
 *                           so a step takes about this long at the measured prefill speed; 0 for
 *                           chunks of {@code chunkedPrefillSize}
 * @param prefixCacheTokens  tokens of finished requests' K/V the prefix cache keeps for reuse at
 *                           most ({@code --max-cached-tokens}); 0 for two contexts' worth (at least
 *                           16384): pages are backed as they are used, so an unbounded cache would
 *                           grow to the whole budget
 */
public record EngineOptions(int pageSize, int maxTotalTokens, double memFraction, boolean prefixCache,
                            int maxRunningRequests, int chunkedPrefillSize, SchedulePolicy schedulePolicy,
                            int decodeLogInterval, long imageCacheBytes, int contextLength, Long randomSeed,
                            DType kvCacheDtype, double prefillStepSeconds, int prefixCacheTokens) {

    /** The image cache's default budget: about 100 images of 1024 rows of 1536 floats. */
    public static final long DEFAULT_IMAGE_CACHE_BYTES = 512L << 20;

    /**
     * Page size 1, pool sized for 200 running requests (at most 80% of the free memory), prefix
     * cache on, chunks of 8192, FCFS, 512 MiB of cached image features, the backend's K/V type.
     */
    public static final EngineOptions DEFAULTS = new EngineOptions(1, 0, 0.8, true, 200, 8192);

    public EngineOptions {
        if (maxRunningRequests <= 0) {
            throw new IllegalArgumentException("max running requests must be positive, got " + maxRunningRequests);
        }
        if (decodeLogInterval <= 0) {
            throw new IllegalArgumentException("decode log interval must be positive, got " + decodeLogInterval);
        }
        if (contextLength < 0) {
            throw new IllegalArgumentException("the context length must not be negative, got " + contextLength);
        }
        if (!(prefillStepSeconds >= 0) || Double.isInfinite(prefillStepSeconds)) {
            throw new IllegalArgumentException("the prefill step target must be a non-negative time, got "
                    + prefillStepSeconds);
        }
        if (prefixCacheTokens < 0) {
            throw new IllegalArgumentException("the prefix cache size must not be negative, got " + prefixCacheTokens);
        }
        if (imageCacheBytes < 0) {
            throw new IllegalArgumentException("the image cache size must not be negative, got " + imageCacheBytes);
        }
    }

    /** Options with first-come-first-served admission, a decode log line every 40 steps, the default image cache. */
    public EngineOptions(int pageSize, int maxTotalTokens, double memFraction, boolean prefixCache,
                         int maxRunningRequests, int chunkedPrefillSize) {
        this(pageSize, maxTotalTokens, memFraction, prefixCache, maxRunningRequests, chunkedPrefillSize,
                SchedulePolicy.FCFS, 40, DEFAULT_IMAGE_CACHE_BYTES, 0, null, null, 0, 0);
    }

    /** These options with another admission order. */
    public EngineOptions withSchedulePolicy(SchedulePolicy policy) {
        return new EngineOptions(pageSize, maxTotalTokens, memFraction, prefixCache, maxRunningRequests,
                chunkedPrefillSize, policy, decodeLogInterval, imageCacheBytes, contextLength, randomSeed, kvCacheDtype, prefillStepSeconds, prefixCacheTokens);
    }

    /** These options with another context length (0: the model's). */
    public EngineOptions withContextLength(int tokens) {
        return new EngineOptions(pageSize, maxTotalTokens, memFraction, prefixCache, maxRunningRequests,
                chunkedPrefillSize, schedulePolicy, decodeLogInterval, imageCacheBytes, tokens, randomSeed, kvCacheDtype, prefillStepSeconds, prefixCacheTokens);
    }

    /** These options with a seed for requests that give none (null: random). */
    public EngineOptions withRandomSeed(Long seed) {
        return new EngineOptions(pageSize, maxTotalTokens, memFraction, prefixCache, maxRunningRequests,
                chunkedPrefillSize, schedulePolicy, decodeLogInterval, imageCacheBytes, contextLength, seed, kvCacheDtype, prefillStepSeconds, prefixCacheTokens);
    }

    /** These options with another image-cache budget. */
    public EngineOptions withImageCacheBytes(long bytes) {
        return new EngineOptions(pageSize, maxTotalTokens, memFraction, prefixCache, maxRunningRequests,
                chunkedPrefillSize, schedulePolicy, decodeLogInterval, bytes, contextLength, randomSeed, kvCacheDtype, prefillStepSeconds, prefixCacheTokens);
    }

    /** These options with K/V stored as {@code dtype} (null: the backend's preferred type). */
    public EngineOptions withKvCacheDtype(DType dtype) {
        return new EngineOptions(pageSize, maxTotalTokens, memFraction, prefixCache, maxRunningRequests,
                chunkedPrefillSize, schedulePolicy, decodeLogInterval, imageCacheBytes, contextLength, randomSeed, dtype, prefillStepSeconds, prefixCacheTokens);
    }

    /**
     * These options with prompt chunks sized so a step takes about {@code seconds} at the measured
     * prefill speed, at most {@link #chunkedPrefillSize()} tokens (0: fixed chunks).
     */
    public EngineOptions withPrefillStepTarget(double seconds) {
        return new EngineOptions(pageSize, maxTotalTokens, memFraction, prefixCache, maxRunningRequests,
                chunkedPrefillSize, schedulePolicy, decodeLogInterval, imageCacheBytes, contextLength, randomSeed,
                kvCacheDtype, seconds, prefixCacheTokens);
    }

    /** These options with the prefix cache keeping at most {@code tokens} tokens (0: the default). */
    public EngineOptions withPrefixCacheTokens(int tokens) {
        return new EngineOptions(pageSize, maxTotalTokens, memFraction, prefixCache, maxRunningRequests,
                chunkedPrefillSize, schedulePolicy, decodeLogInterval, imageCacheBytes, contextLength, randomSeed,
                kvCacheDtype, prefillStepSeconds, tokens);
    }
}
