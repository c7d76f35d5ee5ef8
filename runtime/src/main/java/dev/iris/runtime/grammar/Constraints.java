package dev.iris.runtime.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Turns what a request asks for — a JSON schema, any JSON object, a regex, an EBNF grammar, or a
 * grammar built by the caller — into a {@link GrammarConstraint} for one model's vocabulary, and
 * keeps the most recently used ones, so a schema sent again is neither compiled again nor has its
 * token masks computed again. Thread-safe.
 */
public final class Constraints {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<TokenVocabulary> vocabularySource;
    private TokenVocabulary vocabulary;
    private final Expr whitespace;
    private final Map<String, GrammarConstraint> cache;
    private final long maxMaskBytes;

    /** @param vocabulary the model's vocabulary, read when the first constraint is compiled (it takes a while) */
    public Constraints(Supplier<TokenVocabulary> vocabulary, GrammarOptions options) {
        this.vocabularySource = vocabulary;
        this.whitespace = options.jsonWhitespacePattern() == null ? JsonSchemaGrammar.defaultWhitespace()
                : RegexGrammar.parse(options.jsonWhitespacePattern());
        this.maxMaskBytes = (long) options.cacheMib() << 20;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, GrammarConstraint> eldest) {
                return size() > options.cacheSize();
            }
        };
    }

    /** Output that is JSON valid against {@code schema}. */
    public GrammarConstraint jsonSchema(JsonNode schema) {
        String text;
        try {
            text = JSON.writeValueAsString(schema);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new GrammarException("the JSON schema cannot be read: " + e.getOriginalMessage());
        }
        return compile("json_schema:" + text, () -> JsonSchemaGrammar.fromSchema(schema, whitespace));
    }

    /** Output that is a JSON schema given as text. */
    public GrammarConstraint jsonSchema(String schemaText) {
        JsonNode schema;
        try {
            schema = JSON.readTree(schemaText);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new GrammarException("json_schema is not valid JSON: " + e.getOriginalMessage());
        }
        return jsonSchema(schema);
    }

    /** Output that is one JSON object (OpenAI's {@code response_format: json_object}). */
    public GrammarConstraint jsonObject() {
        return compile("json_object", () -> JsonSchemaGrammar.anyJsonObject(whitespace));
    }

    /** Output that fully matches a regular expression. */
    public GrammarConstraint regex(String regex) {
        return compile("regex:" + regex, () -> RegexGrammar.grammar(regex));
    }

    /** Output in the language of an EBNF grammar with a {@code root} rule. */
    public GrammarConstraint ebnf(String grammar) {
        return compile("ebnf:" + grammar, () -> EbnfGrammar.parse(grammar));
    }

    /** Output in a grammar the caller builds (tool calls), cached under {@code key}. */
    public GrammarConstraint grammar(String key, Supplier<Grammar> grammar) {
        return compile("custom:" + key, grammar);
    }

    /** The whitespace JSON output may put between its tokens. */
    public Expr jsonWhitespace() {
        return whitespace;
    }

    private GrammarConstraint compile(String key, Supplier<Grammar> grammar) {
        synchronized (cache) {
            GrammarConstraint c = cache.get(key);
            if (c != null) {
                trim();
                return c;
            }
        }
        // Compiled outside the lock: a large grammar must not hold up requests with cached ones.
        GrammarConstraint c = new GrammarConstraint(GrammarCompiler.compile(grammar.get()), vocabulary());
        synchronized (cache) {
            GrammarConstraint kept = cache.computeIfAbsent(key, k -> c);
            trim();
            return kept;
        }
    }

    /**
     * Drops the least recently used constraints while their masks hold more than the memory
     * allowed (masks grow after a constraint is cached, as requests reach its states). A request
     * still running with a dropped one keeps it; the next one with its schema compiles it again.
     */
    private void trim() {
        long total = 0;
        for (GrammarConstraint c : cache.values()) {
            total += c.maskBytes();
        }
        var eldest = cache.values().iterator();
        while (total > maxMaskBytes && cache.size() > 1 && eldest.hasNext()) {
            total -= eldest.next().maskBytes();
            eldest.remove();
        }
    }

    private synchronized TokenVocabulary vocabulary() {
        if (vocabulary == null) {
            vocabulary = vocabularySource.get();
        }
        return vocabulary;
    }

}
