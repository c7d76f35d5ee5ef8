package dev.iris.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.runtime.grammar.Constraints;
import dev.iris.runtime.grammar.GrammarCompiler;
import dev.iris.runtime.grammar.GrammarConstraint;
import dev.iris.runtime.grammar.GrammarMatcher;
import dev.iris.runtime.grammar.GrammarOptions;
import dev.iris.runtime.grammar.JsonSchemaGrammar;
import dev.iris.runtime.grammar.TokenVocabulary;
import dev.iris.runtime.tokenizer.Tokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Structured outputs on Qwen2's 151,936-token vocabulary: what one decode step pays for its
 * grammar — the token mask of the next position, applied to the logits row, and the step past the
 * sampled token — along the tokens of a nested receipt schema's answer (non-ASCII text, escapes,
 * numbers, nested objects and arrays), with every state's mask already computed (a cached schema);
 * the same with the masks computed as they are first reached (a schema's first request); and the
 * compilation of a 20-property schema.
 */
@State(Scope.Benchmark)
public class GrammarMaskBench {

    /** Logit rows of Qwen2-VL-2B. */
    static final int VOCAB = 151_936;

    @Param("testdata/tokenizers/qwen2.tokenizer.json.gz")
    public String tokenizer;

    private static final ObjectMapper JSON = new ObjectMapper();
    private TokenVocabulary vocabulary;
    private GrammarConstraint nested;
    private JsonNode nestedSchema;
    private JsonNode twenty;
    private int[] answer;
    private int eos;
    private float[] logits;
    private GrammarMatcher matcher;
    private int at;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        Tokenizer tok;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of(tokenizer)))) {
            tok = Tokenizer.read(in, tokenizer);
        }
        vocabulary = TokenVocabulary.of(tok, VOCAB);
        nestedSchema = resource("nested.schema.json");
        twenty = resource("twenty-properties.schema.json");
        nested = new Constraints(() -> vocabulary, GrammarOptions.DEFAULTS).jsonSchema(nestedSchema);
        answer = tok.encode(resource("nested.instance.json").toString(), false);
        eos = tok.tokenId("<|endoftext|>").orElseThrow();
        logits = new float[VOCAB];
        Random r = new Random(1);
        for (int i = 0; i < VOCAB; i++) {
            logits[i] = (float) r.nextGaussian();
        }
        // One pass checks that the answer is in the grammar and computes the masks it reaches.
        GrammarMatcher m = nested.newMatcher();
        for (int t : answer) {
            m.mask(logits, Set.of(eos));
            if (!m.accept(t)) {
                throw new IllegalStateException("the benchmark's answer leaves the schema at token " + t);
            }
        }
        matcher = nested.newMatcher();
    }

    private static JsonNode resource(String name) throws IOException {
        try (InputStream in = GrammarMaskBench.class.getResourceAsStream("/grammar/" + name)) {
            return JSON.readTree(in);
        }
    }

    /** Tokens in the answer the mask benchmarks walk. */
    int answerTokens() {
        return answer.length;
    }

    /** One decode step's grammar work: the mask of the next token over the logits, then the step past it. */
    @Benchmark
    public float maskStep() {
        if (at == answer.length) {
            matcher = nested.newMatcher();
            at = 0;
        }
        matcher.mask(logits, Set.of(eos));
        matcher.accept(answer[at++]);
        return logits[answer[at - 1]];
    }

    /** The whole answer with a freshly compiled schema: each state's mask is computed when first reached. */
    @Benchmark
    public int coldAnswer() {
        GrammarConstraint fresh = new Constraints(() -> vocabulary, GrammarOptions.DEFAULTS).jsonSchema(nestedSchema);
        GrammarMatcher m = fresh.newMatcher();
        for (int t : answer) {
            m.mask(logits, Set.of(eos));
            m.accept(t);
        }
        return fresh.maskedStates();
    }

    /** Compiling a 20-property schema (strings, numbers, enums, formats, patterns, arrays, a nested object). */
    @Benchmark
    public int compileTwentyProperties() {
        return GrammarCompiler.compile(JsonSchemaGrammar.fromSchema(twenty, JsonSchemaGrammar.defaultWhitespace()))
                .states();
    }
}
