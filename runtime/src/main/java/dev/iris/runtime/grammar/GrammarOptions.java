package dev.iris.runtime.grammar;

/**
 * Server-wide settings of constrained decoding.
 *
 * @param jsonWhitespacePattern {@code --constrained-json-whitespace-pattern}: a regex of the whitespace
 *                              JSON output may put between its tokens; null for the bounded default
 *                              ({@link JsonSchemaGrammar#defaultWhitespace()}), so a model cannot spin in
 *                              whitespace
 * @param cacheSize             {@code --grammar-cache-size}: compiled constraints kept for reuse
 */
public record GrammarOptions(String jsonWhitespacePattern, int cacheSize) {

    public static final GrammarOptions DEFAULTS = new GrammarOptions(null, 64);

    public GrammarOptions {
        if (cacheSize < 1) {
            throw new IllegalArgumentException("the grammar cache size must be positive, got " + cacheSize);
        }
        if (jsonWhitespacePattern != null) {
            RegexGrammar.parse(jsonWhitespacePattern); // a bad pattern fails at start-up, not on a request
        }
    }
}
