package dev.iris.runtime.grammar;

/**
 * Server-wide settings of constrained decoding.
 *
 * @param jsonWhitespacePattern {@code --constrained-json-whitespace-pattern}: a regex of the whitespace
 *                              JSON output may put between its tokens; null for the bounded default
 *                              ({@link JsonSchemaGrammar#defaultWhitespace()}), so a model cannot spin in
 *                              whitespace
 * @param cacheSize             {@code --grammar-cache-size}: compiled constraints kept for reuse
 * @param cacheMib              {@code --grammar-cache-mib}: the most memory their token masks may hold; the
 *                              least recently used constraints go first beyond it
 */
public record GrammarOptions(String jsonWhitespacePattern, int cacheSize, int cacheMib) {

    public static final GrammarOptions DEFAULTS = new GrammarOptions(null, 64, 512);

    public GrammarOptions {
        if (cacheSize < 1) {
            throw new IllegalArgumentException("the grammar cache size must be positive, got " + cacheSize);
        }
        if (cacheMib < 1) {
            throw new IllegalArgumentException("the grammar cache's memory must be at least 1 MiB, got " + cacheMib);
        }
        if (jsonWhitespacePattern != null) {
            RegexGrammar.parse(jsonWhitespacePattern); // a bad pattern fails at start-up, not on a request
        }
    }
}
