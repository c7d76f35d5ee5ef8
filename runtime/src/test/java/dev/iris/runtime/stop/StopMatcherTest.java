package dev.iris.runtime.stop;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class StopMatcherTest {

    private static StopConditions stops(List<String> strings, boolean keep, int max) {
        return new StopConditions(strings, Set.of(99), Set.of(2), false, keep, max, 0, 1000);
    }

    /** Feeds the pieces (token i has id 10 + i) and returns the emitted texts and the final step. */
    private static List<Object> run(StopConditions c, String... pieces) {
        StopMatcher m = new StopMatcher(c);
        List<String> emitted = new ArrayList<>();
        StopMatcher.Step last = null;
        for (int i = 0; i < pieces.length && (last == null || !last.finished()); i++) {
            last = m.accept(10 + i, pieces[i]);
            emitted.add(last.text());
        }
        return List.of(emitted, last);
    }

    @Test
    void aStopStringSplitAcrossTokensIsCaughtAndNeverShown() {
        @SuppressWarnings("unchecked")
        List<Object> r = run(stops(List.of("</ans>"), false, 100), "The answer", " is 4</", "an", "s> and more");
        List<String> emitted = (List<String>) r.get(0);
        StopMatcher.Step last = (StopMatcher.Step) r.get(1);
        assertEquals(List.of("The answer", " is 4", "", ""), emitted);
        assertEquals(StopMatcher.FinishReason.STOP, last.finish());
        assertEquals("</ans>", last.matchedStop());
    }

    @Test
    void streamingPiecesConcatenateToTheOneShotText() {
        String[] pieces = {"a<", "b", "<", "<e", "nd", "x", "<en", "d>", "tail"};
        StopConditions c = stops(List.of("<end>"), false, 100);
        @SuppressWarnings("unchecked")
        String streamed = String.join("", (List<String>) run(c, pieces).get(0));
        @SuppressWarnings("unchecked")
        String oneShot = String.join("", (List<String>) run(c, String.join("", pieces)).get(0));
        assertEquals("a<b<<endx", streamed);
        assertEquals(oneShot, streamed);
    }

    @Test
    void noStopTrimKeepsTheMatch() {
        StopMatcher.Step last = (StopMatcher.Step) run(stops(List.of("STOP"), true, 100), "go ST", "OP now").get(1);
        assertEquals("STOP", last.text().substring(last.text().length() - 4));
    }

    @Test
    void eosAndStopTokenIdsEndWithTheIdAndFlushHeldText() {
        StopMatcher m = new StopMatcher(stops(List.of("xyz"), false, 100));
        assertEquals("ab", m.accept(10, "abx").text()); // "x" held: it may start "xyz"
        StopMatcher.Step s = m.accept(2, "");
        assertEquals("x", s.text());
        assertEquals(2, s.matchedStop());
        StopMatcher n = new StopMatcher(stops(List.of(), false, 100));
        assertEquals(99, n.accept(99, "").matchedStop());
    }

    @Test
    void ignoreEosKeepsGoingAndMaxTokensEndsWithLength() {
        StopConditions c = new StopConditions(List.of(), Set.of(), Set.of(2), true, false, 3, 0, 1000);
        StopMatcher m = new StopMatcher(c);
        assertNull(m.accept(2, "a").finish());
        assertNull(m.accept(2, "b").finish());
        StopMatcher.Step s = m.accept(5, "c");
        assertEquals(StopMatcher.FinishReason.LENGTH, s.finish());
        assertNull(s.matchedStop());
    }

    @Test
    void minTokensSuppressesEosAndTheContextEndsWithLength() {
        StopMatcher m = new StopMatcher(new StopConditions(List.of(), Set.of(), Set.of(2), false, false, 10, 2, 1000));
        assertNull(m.accept(2, "").finish());
        assertNull(m.accept(2, "").finish());
        assertEquals(StopMatcher.FinishReason.STOP, m.accept(2, "").finish());
        StopMatcher full = new StopMatcher(new StopConditions(List.of(), Set.of(), Set.of(), false, false, 10, 0, 1));
        assertEquals(StopMatcher.FinishReason.LENGTH, full.accept(7, "x").finish());
    }
}
