package dev.iris.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.runtime.text.IncrementalDetokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The tokenizer against the ids transformers produced for the fixture prompts
 * (testdata/golden/<model>/<case>.json: {@code rendered_prompt}, {@code tokenizer_call},
 * {@code input_ids} with image placeholders expanded, which are collapsed back to one here),
 * for byte-level BPE (Qwen2-VL, Llama-3 / Mllama, Qwen2 / OneVision) and SentencePiece BPE with
 * byte fallback (Vicuna / LLaVA-1.5 with Metaspace, Mistral / LLaVA-NeXT with the legacy
 * normalizer).
 */
class TokenizerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "tiny-qwen2-vl, text_only", "tiny-qwen2-vl, one_image", "tiny-qwen2-vl, two_images",
            "tiny-mllama, text_only", "tiny-mllama, one_image", "tiny-mllama, two_images",
            "tiny-llava-onevision, text_only", "tiny-llava-onevision, one_image", "tiny-llava-onevision, two_images",
            "tiny-llava-1.5, text_only", "tiny-llava-1.5, one_image", "tiny-llava-1.5, two_images",
            "tiny-llava-next, text_only", "tiny-llava-next, one_image", "tiny-llava-next, two_images"})
    void encodesTheRenderedPromptLikeTransformers(String model, String testCase) throws IOException {
        Tokenizer tok = Tokenizer.load(Path.of("../testdata/models", model, "tokenizer.json"));
        JsonNode g = JSON.readTree(Path.of("../testdata/golden", model, testCase + ".json").toFile());
        int image = g.get("image_token_id").asInt();
        // Families that expand a placeholder into many positions: a run is one placeholder in the text.
        boolean expanded = g.get("num_image_tokens_in_prompt").asInt() > g.get("image_files").size();
        List<Integer> expected = new ArrayList<>();
        for (JsonNode id : g.get("input_ids")) {
            if (!expanded || id.asInt() != image || expected.isEmpty() || expected.getLast() != image) {
                expected.add(id.asInt());
            }
        }
        int[] ids = tok.encode(g.get("rendered_prompt").asText(), g.get("tokenizer_call").get("add_special_tokens").asBoolean());
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), ids);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen2-vl", "tiny-mllama", "tiny-llava-onevision", "tiny-llava-1.5"})
    void decodingRestoresTheTextAndStreamingDecodeEqualsOneShot(String model) throws IOException {
        Tokenizer tok = Tokenizer.load(Path.of("../testdata/models", model, "tokenizer.json"));
        for (String text : List.of("Hello world", "emoji 👍🏽 ok", "日本語 テキスト", "tabs\t\tand\n\n  spaces  ",
                "it's 2024, isn't it?", "ÀÉÎõü ß")) {
            int[] ids = tok.encode(text, false);
            assertEquals(text, tok.decode(ids, true), model);
            IncrementalDetokenizer d = new IncrementalDetokenizer(x -> tok.decode(x, true));
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) {
                streamed.append(d.add(id));
            }
            streamed.append(d.finish());
            assertEquals(text, streamed.toString(), model + " streamed");
        }
    }
}
