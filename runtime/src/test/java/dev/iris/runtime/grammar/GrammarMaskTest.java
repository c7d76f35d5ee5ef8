package dev.iris.runtime.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.runtime.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The token masks against the brute force on the real Qwen2, Llama-3 and Llama-2 (SentencePiece,
 * byte fallback) vocabularies of testdata/tokenizers: along random walks through each constraint
 * of grammar/mask-walks.json, a token is allowed exactly when its bytes, fed to the grammar after
 * the text so far, leave a valid prefix — so every allowed token keeps the text valid and every
 * forbidden one breaks it — and EOS exactly where the text may end.
 */
class GrammarMaskTest {

    private static final Path TOKENIZERS = Path.of("../testdata/tokenizers");
    private static final int STEPS = 24;

    static Tokenizer tokenizer(String family) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(TOKENIZERS.resolve(family + ".tokenizer.json.gz")))) {
            return Tokenizer.read(in, family);
        }
    }

    static GrammarConstraint constraint(Constraints constraints, JsonNode c) {
        JsonNode source = c.get("source");
        return switch (c.get("kind").asText()) {
            case "ebnf" -> constraints.ebnf(source.asText());
            case "regex" -> constraints.regex(source.asText());
            case "json_schema" -> constraints.jsonSchema(source);
            default -> throw new IllegalArgumentException(c.get("kind").asText());
        };
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"qwen2, 151936, <|endoftext|>", "llama3, 128256, <|eot_id|>", "llama2, 32000, </s>"})
    void everyAllowedTokenKeepsAValidPrefixAndEveryForbiddenOneBreaksIt(String family, int logitRows, String eos)
            throws IOException {
        Tokenizer tok = tokenizer(family);
        int eosId = tok.tokenId(eos).orElseThrow();
        TokenVocabulary vocab = TokenVocabulary.of(tok, logitRows);
        assertEquals(family.equals("llama2"), vocab.dropsLeadingSpace, "SentencePiece drops a text's leading space");
        Constraints constraints = new Constraints(() -> vocab, GrammarOptions.DEFAULTS);
        JsonNode all = new ObjectMapper().readTree(getClass().getResource("/grammar/mask-walks.json")).get("constraints");
        SplittableRandom random = new SplittableRandom(family.hashCode());
        for (JsonNode c : all) {
            GrammarConstraint constraint = constraint(constraints, c);
            walk(c.get("name").asText(), constraint, vocab, eosId, random);
        }
    }

    private static void walk(String name, GrammarConstraint constraint, TokenVocabulary vocab, int eos,
                             SplittableRandom random) {
        Parser reference = new Parser(constraint.grammar);
        Frame[] text = reference.start();
        GrammarMatcher matcher = constraint.newMatcher();
        StringBuilder shown = new StringBuilder();
        for (int step = 0; step < STEPS; step++) {
            long[] bits = matcher.allowed(Set.of(eos));
            List<Integer> allowed = new ArrayList<>();
            for (int id = 0; id < vocab.size; id++) {
                boolean isAllowed = (bits[id >>> 6] & (1L << id)) != 0;
                boolean valid;
                if (id == eos) {
                    valid = reference.canEnd(text);
                } else {
                    byte[] b = step == 0 ? vocab.firstBytes(id) : vocab.bytes[id];
                    valid = b != null && reference.feed(text, b, 0, b.length).length > 0;
                }
                if (isAllowed != valid) {
                    fail(name + " after \"" + shown + "\": token " + id + " is " + (isAllowed ? "allowed" : "forbidden")
                            + " but " + (valid ? "keeps" : "breaks") + " the prefix");
                }
                if (isAllowed) {
                    allowed.add(id);
                }
            }
            assertFalse(allowed.isEmpty(), name + ": nothing allowed after \"" + shown + "\"");
            int pick = allowed.get(random.nextInt(allowed.size()));
            if (pick == eos) {
                return;
            }
            byte[] b = step == 0 ? vocab.firstBytes(pick) : vocab.bytes[pick];
            assertTrue(matcher.accept(pick), name + ": the matcher refuses an allowed token");
            text = reference.feed(text, b, 0, b.length);
            shown.append(new String(b, java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void specialTokensAndPaddingRowsAreNeverAllowed() throws IOException {
        Tokenizer tok = tokenizer("qwen2");
        TokenVocabulary vocab = TokenVocabulary.of(tok, 151936);
        Constraints constraints = new Constraints(() -> vocab, GrammarOptions.DEFAULTS);
        GrammarMatcher m = constraints.ebnf("root ::= [^\\x00]*").newMatcher();
        long[] bits = m.allowed(Set.of());
        int imStart = tok.tokenId("<|im_start|>").orElseThrow();
        assertEquals(0, bits[imStart >>> 6] & (1L << imStart), "a special token");
        assertEquals(0, bits[151935 >>> 6] & (1L << 151935), "a padding row of the logits");
        int hello = tok.tokenId("Hello").orElseThrow();
        assertTrue((bits[hello >>> 6] & (1L << hello)) != 0);
    }
}
