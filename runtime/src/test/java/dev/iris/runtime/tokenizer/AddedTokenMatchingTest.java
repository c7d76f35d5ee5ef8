package dev.iris.runtime.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Added and special tokens are cut out of the text in one scan: leftmost first, longest among
 * those starting at one place, and in time linear in the text however many it holds.
 */
class AddedTokenMatchingTest {

    /** A character-level BPE over a..e with three added tokens, two of them sharing a start. */
    private static Tokenizer letters() throws IOException {
        String json = """
                {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4, "x": 5}, "merges": []},
                 "added_tokens": [
                   {"id": 10, "content": "ab", "special": true},
                   {"id": 11, "content": "abc", "special": true},
                   {"id": 12, "content": "bcd", "special": false}],
                 "normalizer": null, "pre_tokenizer": null, "decoder": null, "post_processor": null}
                """;
        return Tokenizer.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "letters");
    }

    @Test
    void theLeftmostAddedTokenWinsAndTheLongestAmongThoseStartingThere() throws IOException {
        Tokenizer tok = letters();
        // "abc" (leftmost, longer than "ab") hides "bcd"; then "d"; then "ab"; "e" is plain text.
        assertArrayEquals(new int[]{5, 11, 3, 10, 4}, tok.encode("xabcdabe", false));
        assertArrayEquals(new int[]{5, 12, 1}, tok.encode("xbcdb", false));
    }

    @Test
    void aTextThatIsOneSpecialTokenRepeatedBecomesThatTokenEachTime() throws IOException {
        Tokenizer tok = Tokenizer.load(Path.of("../testdata/models/tiny-qwen2-vl/tokenizer.json"));
        int imEnd = tok.tokenId("<|im_end|>").orElseThrow();
        String text = "<|im_end|>".repeat(100_000);
        int[] expected = new int[100_000];
        Arrays.fill(expected, imEnd);
        assertArrayEquals(expected, tok.encode(text, false));
        assertArrayEquals(expected, tok.encodePrompt(text));
    }

    @Test
    void aPromptThatStartsWithTheTemplatesBosGetsNoSecondOne() throws IOException {
        Tokenizer tok = Tokenizer.load(Path.of("../testdata/models/tiny-mllama/tokenizer.json"));
        int bos = tok.tokenId("<|begin_of_text|>").orElseThrow();
        int[] rendered = tok.encodePrompt("<|begin_of_text|>Hello");
        int[] plain = tok.encodePrompt("Hello");
        assertEquals(bos, rendered[0]);
        assertEquals(bos, plain[0]);
        assertEquals(1, Arrays.stream(rendered).filter(id -> id == bos).count());
        assertArrayEquals(rendered, plain);
    }
}
