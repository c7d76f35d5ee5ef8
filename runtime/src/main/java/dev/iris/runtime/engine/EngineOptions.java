package dev.iris.runtime.engine;

/**
 * How an engine sizes its K/V cache (SGLang's flags).
 *
 * @param pageSize       tokens per K/V page ({@code --page-size}, default 1)
 * @param maxTotalTokens K/V tokens in the pool ({@code --max-total-tokens}); 0 to size from memory
 * @param memFraction    with {@code maxTotalTokens} 0: fraction of the free heap the pool may take
 *                       ({@code --mem-fraction-static})
 * @param prefixCache    reuse the K/V of earlier requests' common prefixes (off with
 *                       {@code --disable-radix-cache})
 */
public record EngineOptions(int pageSize, int maxTotalTokens, double memFraction, boolean prefixCache) {

    /** Page size 1, pool sized to 80% of the free heap, prefix cache on. */
    public static final EngineOptions DEFAULTS = new EngineOptions(1, 0, 0.8, true);
}
