package dev.iris.runtime.text;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class IncrementalDetokenizerTest {

    /** A byte-level vocabulary: token i is byte i, so multi-byte characters span several tokens. */
    private static String decodeBytes(int[] ids) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int id : ids) {
            b.write(id);
        }
        return b.toString(StandardCharsets.UTF_8); // incomplete sequences become U+FFFD
    }

    private static int[] tokens(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xff;
        }
        return ids;
    }

    @Test
    void multiByteCharactersAreReleasedWholeAndTheDeltasEqualTheOneShotDecode() {
        for (String text : List.of("héllo wörld", "日本語のテキスト", "emoji 👍🏽 and 🇯🇵 flags", "  tabs\t\tand\n\nlines  ")) {
            IncrementalDetokenizer d = new IncrementalDetokenizer(IncrementalDetokenizerTest::decodeBytes);
            List<String> deltas = new ArrayList<>();
            for (int id : tokens(text)) {
                String delta = d.add(id);
                assertFalse(delta.indexOf('\uFFFD') >= 0, "a broken character was released: " + delta);
                deltas.add(delta);
            }
            deltas.add(d.finish());
            assertEquals(text, String.join("", deltas));
        }
    }

    @Test
    void aGenerationCutInsideACharacterEndsLikeTheOneShotDecode() {
        int[] ids = tokens("ok 👍");
        int[] cut = java.util.Arrays.copyOf(ids, ids.length - 2);
        IncrementalDetokenizer d = new IncrementalDetokenizer(IncrementalDetokenizerTest::decodeBytes);
        StringBuilder out = new StringBuilder();
        for (int id : cut) {
            out.append(d.add(id));
        }
        out.append(d.finish());
        assertEquals(decodeBytes(cut), out.toString());
    }

    @Test
    void randomTextsRoundTrip() {
        Random rnd = new Random(5);
        int[] codePoints = {'a', ' ', 'é', 'ß', '中', '文', 0x1F600, 0x1F44D, '\n'};
        for (int n = 0; n < 200; n++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 1 + rnd.nextInt(30); i++) {
                sb.appendCodePoint(codePoints[rnd.nextInt(codePoints.length)]);
            }
            IncrementalDetokenizer d = new IncrementalDetokenizer(IncrementalDetokenizerTest::decodeBytes);
            StringBuilder out = new StringBuilder();
            for (int id : tokens(sb.toString())) {
                out.append(d.add(id));
            }
            out.append(d.finish());
            assertEquals(sb.toString(), out.toString());
        }
    }
}
