package dev.iris.runtime.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The regex corpus in {@code grammar/regexes.json}: what each regex matches (goldens checked with
 * Python's {@code re.fullmatch} under {@code re.ASCII} when written; {@code "java": false} marks
 * regexes java.util.regex reads differently), and what is refused.
 */
class RegexGrammarTest {

    private static JsonNode corpus() throws IOException {
        try (InputStream in = RegexGrammarTest.class.getResourceAsStream("/grammar/regexes.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(s -> out.add(s.asText()));
        return out;
    }

    @TestFactory
    Stream<DynamicTest> eachRegexMatchesItsGoldens() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : corpus().get("cases")) {
            String regex = c.get("regex").asText();
            tests.add(DynamicTest.dynamicTest("/" + regex + "/", () -> {
                CompiledGrammar g = GrammarCompiler.compile(RegexGrammar.grammar(regex));
                for (String s : strings(c.get("accept"))) {
                    assertTrue(GrammarText.matches(g, s), () -> regex + " should match " + s);
                }
                for (String s : strings(c.get("reject"))) {
                    assertFalse(GrammarText.matches(g, s), () -> regex + " should not match " + s);
                }
            }));
        }
        return tests.stream();
    }

    /** Where Java's dialect agrees with this subset of Python's, java.util.regex gives the same answers. */
    @TestFactory
    Stream<DynamicTest> javaRegexAgreesWithTheGoldens() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : corpus().get("cases")) {
            if (!c.path("java").asBoolean(true)) {
                continue;
            }
            String regex = c.get("regex").asText();
            tests.add(DynamicTest.dynamicTest("/" + regex + "/", () -> {
                Pattern p = Pattern.compile(regex);
                for (String s : strings(c.get("accept"))) {
                    assertTrue(p.matcher(s).matches(), () -> "java " + regex + " should match " + s);
                }
                for (String s : strings(c.get("reject"))) {
                    assertFalse(p.matcher(s).matches(), () -> "java " + regex + " should not match " + s);
                }
            }));
        }
        return tests.stream();
    }

    /** Strings near the goldens (a few characters deleted, inserted or replaced): java.util.regex decides them. */
    @TestFactory
    Stream<DynamicTest> javaRegexAgreesOnStringsNearTheGoldens() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        Random random = new Random(42);
        for (JsonNode c : corpus().get("cases")) {
            if (!c.path("java").asBoolean(true)) {
                continue;
            }
            String regex = c.get("regex").asText();
            List<String> goldens = strings(c.get("accept"));
            goldens.addAll(strings(c.get("reject")));
            int[] alphabet = (String.join("", goldens) + "a_1 -\n").codePoints().distinct().toArray();
            tests.add(DynamicTest.dynamicTest("/" + regex + "/", () -> {
                Pattern p = Pattern.compile(regex);
                CompiledGrammar g = GrammarCompiler.compile(RegexGrammar.grammar(regex));
                for (int i = 0; i < 200; i++) {
                    int[] cps = goldens.get(random.nextInt(goldens.size())).codePoints().toArray();
                    List<Integer> s = new ArrayList<>(Arrays.stream(cps).boxed().toList());
                    for (int edits = random.nextInt(3); edits > 0; edits--) {
                        int at = random.nextInt(s.size() + 1);
                        int cp = alphabet[random.nextInt(alphabet.length)];
                        switch (s.isEmpty() ? 0 : random.nextInt(3)) {
                            case 0 -> s.add(at, cp);
                            case 1 -> s.remove(Math.min(at, s.size() - 1));
                            default -> s.set(Math.min(at, s.size() - 1), cp);
                        }
                    }
                    String text = s.stream().map(Character::toString).collect(Collectors.joining());
                    assertEquals(p.matcher(text).matches(), GrammarText.matches(g, text), () -> regex + " on " + text);
                }
            }));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> refusedConstructsAreNamed() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : corpus().get("refused")) {
            String regex = c.get("regex").asText();
            String expected = c.get("error").asText();
            tests.add(DynamicTest.dynamicTest("/" + regex + "/", () -> {
                GrammarException e = assertThrows(GrammarException.class, () -> RegexGrammar.parse(regex));
                assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("at position"),
                        () -> regex + ": " + e.getMessage());
            }));
        }
        return tests.stream();
    }

    @Test
    void theCorpusHasAtLeastThirtyRegexes() throws IOException {
        assertTrue(corpus().get("cases").size() >= 30);
    }
}
