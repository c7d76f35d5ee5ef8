package dev.iris.runtime.grammar;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The schema corpus in {@code grammar/schemas.json}. Per schema: {@code valid} instances (checked
 * valid by a JSON Schema validator when the corpus was written) must match, compact and
 * pretty-printed; {@code invalid} ones (checked invalid) and {@code outside} ones (valid, but
 * outside the documented subset the grammar keeps to, such as properties out of order) must not;
 * likewise raw texts. Then the schemas that must be refused, with what the message names.
 */
class JsonSchemaGrammarTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DefaultIndenter NEWLINE = new DefaultIndenter("  ", "\n");
    private static final ObjectWriter PRETTY = JSON.writer(
            new DefaultPrettyPrinter().withObjectIndenter(NEWLINE).withArrayIndenter(NEWLINE));

    private static JsonNode corpus() throws IOException {
        try (InputStream in = JsonSchemaGrammarTest.class.getResourceAsStream("/grammar/schemas.json")) {
            return JSON.readTree(in);
        }
    }

    private static CompiledGrammar compile(JsonNode schema, Expr whitespace) {
        return GrammarCompiler.compile(JsonSchemaGrammar.fromSchema(schema, whitespace));
    }

    private static void assertMatches(CompiledGrammar g, String text, String what) {
        assertTrue(GrammarText.matches(g, text), () -> what + " should match:\n" + text);
    }

    private static void assertNoMatch(CompiledGrammar g, String text, String what) {
        assertFalse(GrammarText.matches(g, text), () -> what + " should not match:\n" + text);
    }

    @TestFactory
    Stream<DynamicTest> eachSchemaMatchesExactlyItsValidInstances() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : corpus().get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                CompiledGrammar g = compile(c.get("schema"), JsonSchemaGrammar.defaultWhitespace());
                for (JsonNode v : c.path("valid")) {
                    assertMatches(g, JSON.writeValueAsString(v), "valid instance");
                    assertMatches(g, PRETTY.writeValueAsString(v), "valid instance, pretty-printed");
                }
                for (String list : new String[]{"invalid", "outside"}) {
                    for (JsonNode v : c.path(list)) {
                        assertNoMatch(g, JSON.writeValueAsString(v), list + " instance");
                        assertNoMatch(g, PRETTY.writeValueAsString(v), list + " instance, pretty-printed");
                    }
                }
                for (JsonNode t : c.path("validText")) {
                    assertMatches(g, t.asText(), "valid text");
                }
                for (String list : new String[]{"invalidText", "outsideText"}) {
                    for (JsonNode t : c.path(list)) {
                        assertNoMatch(g, t.asText(), list);
                    }
                }
            }));
        }
        return tests.stream();
    }

    /** With no whitespace allowed, compact text still matches and text with whitespace between tokens does not. */
    @TestFactory
    Stream<DynamicTest> whitespaceIsOnlyWhatTheCallerAllows() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : corpus().get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                CompiledGrammar g = compile(c.get("schema"), Expr.EMPTY);
                for (JsonNode v : c.path("valid")) {
                    String compact = JSON.writeValueAsString(v);
                    String pretty = PRETTY.writeValueAsString(v);
                    assertMatches(g, compact, "valid instance");
                    if (!pretty.equals(compact)) {
                        assertNoMatch(g, pretty, "pretty-printed instance without whitespace allowed");
                    }
                }
            }));
        }
        return tests.stream();
    }

    @Test
    void anyJsonObjectIsAnyObjectAndNothingElse() throws IOException {
        JsonNode c = corpus().get("anyObject");
        CompiledGrammar g = GrammarCompiler.compile(JsonSchemaGrammar.anyJsonObject(JsonSchemaGrammar.defaultWhitespace()));
        for (JsonNode v : c.get("valid")) {
            assertMatches(g, JSON.writeValueAsString(v), "object");
            assertMatches(g, PRETTY.writeValueAsString(v), "object, pretty-printed");
        }
        for (JsonNode v : c.get("invalid")) {
            assertNoMatch(g, JSON.writeValueAsString(v), "non-object");
        }
        for (JsonNode t : c.get("invalidText")) {
            assertNoMatch(g, t.asText(), "text");
        }
    }

    /**
     * Integer and number bounds drawn at random (seeded) agree with arithmetic on every value of a
     * window around them, in several spellings; bounds no value meets are refused.
     */
    @Test
    void numericBoundsAgreeWithArithmetic() {
        Random random = new Random(7);
        for (int round = 0; round < 60; round++) {
            boolean integer = round % 2 == 0;
            ObjectNode schema = JSON.createObjectNode().put("type", integer ? "integer" : "number");
            BigDecimal[] bounds = new BigDecimal[2];
            boolean[] exclusive = new boolean[2];
            for (int side = 0; side < 2; side++) {
                if (random.nextInt(4) > 0) {
                    int v = random.nextInt(2400) - 1200;
                    bounds[side] = integer ? BigDecimal.valueOf(v) : BigDecimal.valueOf(v, 2).setScale(random.nextInt(3), RoundingMode.HALF_UP);
                    exclusive[side] = random.nextBoolean();
                    String keyword = side == 0 ? (exclusive[side] ? "exclusiveMinimum" : "minimum")
                            : (exclusive[side] ? "exclusiveMaximum" : "maximum");
                    schema.put(keyword, bounds[side]);
                }
            }
            List<String> texts = new ArrayList<>();
            for (int i = -1300; i <= 1300; i++) {
                if (integer) {
                    texts.add(Integer.toString(i));
                } else {
                    BigDecimal v = BigDecimal.valueOf(i, 2);
                    texts.addAll(List.of(v.toPlainString(), v.stripTrailingZeros().toPlainString(), v.setScale(3).toPlainString()));
                }
            }
            CompiledGrammar g;
            try {
                g = compile(schema, Expr.EMPTY);
            } catch (GrammarException e) {
                boolean empty = texts.stream().noneMatch(t -> within(new BigDecimal(t), bounds, exclusive));
                assertTrue(empty && e.getMessage().contains("satisfies its bounds"), () -> schema + ": " + e.getMessage());
                continue;
            }
            for (String t : texts) {
                BigDecimal v = new BigDecimal(t);
                boolean negativeZero = t.startsWith("-") && v.signum() == 0; // in range, but never written
                assertEquals(within(v, bounds, exclusive) && !negativeZero, GrammarText.matches(g, t), () -> schema + " on " + t);
            }
        }
    }

    private static boolean within(BigDecimal v, BigDecimal[] bounds, boolean[] exclusive) {
        int lo = bounds[0] == null ? 1 : v.compareTo(bounds[0]);
        int hi = bounds[1] == null ? -1 : v.compareTo(bounds[1]);
        return (exclusive[0] ? lo > 0 : lo >= 0) && (exclusive[1] ? hi < 0 : hi <= 0);
    }

    /**
     * Strings spelled with random escapes (short ones, hex ones in either case, surrogate pairs)
     * match a length-bounded schema exactly when their decoded length, in code points, is in bounds.
     */
    @Test
    void stringLengthsCountDecodedCodePoints() throws IOException {
        CompiledGrammar g = compile(JSON.createObjectNode().put("type", "string").put("minLength", 2).put("maxLength", 4), Expr.EMPTY);
        int[] pool = {'a', ' ', '/', '"', '\\', '\n', 0x01, 0xE9, 0x1F600};
        Random random = new Random(3);
        for (int round = 0; round < 2000; round++) {
            StringBuilder decoded = new StringBuilder();
            StringBuilder text = new StringBuilder("\"");
            int length = random.nextInt(7);
            for (int i = 0; i < length; i++) {
                int cp = pool[random.nextInt(pool.length)];
                decoded.appendCodePoint(cp);
                text.append(spell(cp, random));
            }
            text.append('"');
            assertEquals(decoded.toString(), JSON.readTree(text.toString()).asText(), "the spelling decodes back");
            assertEquals(length >= 2 && length <= 4, GrammarText.matches(g, text.toString()), text::toString);
        }
    }

    private static String spell(int cp, Random random) {
        String shortEscape = switch (cp) {
            case '"' -> "\\\"";
            case '\\' -> "\\\\";
            case '/' -> "\\/";
            case '\n' -> "\\n";
            default -> null;
        };
        boolean raw = cp >= 0x20 && cp != '"' && cp != '\\';
        int choice = random.nextInt(3);
        if (choice == 0 && raw) {
            return Character.toString(cp);
        }
        if (choice == 1 && shortEscape != null) {
            return shortEscape;
        }
        StringBuilder out = new StringBuilder();
        for (char unit : Character.toChars(cp)) {
            String hex = String.format("%04x", (int) unit);
            out.append("\\u").append(random.nextBoolean() ? hex : hex.toUpperCase(java.util.Locale.ROOT));
        }
        return out.toString();
    }

    @TestFactory
    Stream<DynamicTest> refusedSchemasNameTheProblem() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : corpus().get("refused")) {
            String expected = c.get("error").asText();
            tests.add(DynamicTest.dynamicTest(c.get("schema").toString(), () -> {
                GrammarException e = assertThrows(GrammarException.class,
                        () -> compile(c.get("schema"), JsonSchemaGrammar.defaultWhitespace()));
                assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
            }));
        }
        return tests.stream();
    }

    @Test
    void theCorpusHasAtLeastSixtySchemas() throws IOException {
        assertTrue(corpus().get("cases").size() >= 60);
    }
}
