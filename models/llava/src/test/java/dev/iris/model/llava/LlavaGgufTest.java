package dev.iris.model.llava;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.iris.model.llava.Goldens.TESTDATA;
import static dev.iris.model.llava.Goldens.assertClose;
import static dev.iris.model.llava.Goldens.collapsed;
import static dev.iris.model.llava.Goldens.floats;
import static dev.iris.model.llava.Goldens.golden;
import static dev.iris.model.llava.Goldens.greedyRequest;
import static dev.iris.model.llava.Goldens.greedyTokens;
import static dev.iris.model.llava.Goldens.goldenTensors;
import static dev.iris.model.llava.Goldens.images;
import static dev.iris.model.llava.Goldens.inputIds;
import static dev.iris.model.llava.Goldens.promptLogits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * tiny-llava-1.5 served from the GGUF files llama.cpp's LLaVA conversion writes from it
 * (testdata/gguf/tiny-llava-1.5-F16.gguf and -mmproj-F16.gguf, made by testdata/gguf/make_models.py
 * with llama.cpp's gguf-py): Q/K rows back in Hugging Face order, the CLIP tower cut after its
 * feature layer, the MLP's two layers told apart by shape, the SentencePiece vocabulary and its
 * scores as the tokenizer.
 */
class LlavaGgufTest {

    private static final String MODEL = "tiny-llava-1.5";
    private static final Path GGUF = TESTDATA.resolve("gguf");

    private static LoadedModel loaded;

    @BeforeAll
    static void load() throws IOException {
        loaded = LoadedModel.load(GGUF.resolve(MODEL + "-F16.gguf"), List.of(new LlavaArchitecture()),
                CpuComputeBackend.withF32Products(), new CpuAttentionBackend(),
                new LoadedModel.Overrides("{}", "{}", null, false, null, GGUF.resolve(MODEL + "-mmproj-F16.gguf")),
                LoadProgress.NONE);
    }

    @AfterAll
    static void close() throws IOException {
        loaded.close();
    }

    @Test
    void theGgufsMetadataBecomesALlavaConfig() {
        var config = loaded.checkpoint().config();
        assertEquals(List.of("LlavaForConditionalGeneration"), config.strings("architectures").orElseThrow());
        assertEquals(360, config.requireInt("image_token_index"));
        assertEquals(2, config.requireObject("vision_config").requireInt("num_hidden_layers"));
        assertEquals("quick_gelu", config.requireObject("vision_config").requireString("hidden_act"));
        assertEquals(Set.of(2), loaded.eosTokenIds());
    }

    /**
     * The GGUF's SentencePiece vocabulary tokenizes as llama.cpp does: the golden ids (transformers'
     * tokenizer with {@code legacy=false}) but for the word-start mark llama.cpp, like the original
     * LLaVA code that split prompts at {@code <image>}, puts before the text that follows a special
     * token.
     */
    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void theGgufsTokenizerGivesTheGoldenPromptIdsWithLlamaCppsSpaceAfterEachImage(String name) throws IOException {
        JsonNode golden = golden(MODEL, name);
        int imageToken = golden.get("image_token_id").asInt();
        int wordStart = loaded.tokenizer().tokenId("\u2581").orElseThrow();
        List<Integer> expected = new ArrayList<>();
        for (int id : collapsed(golden)) {
            expected.add(id);
            if (id == imageToken) {
                expected.add(wordStart);
            }
        }
        String prompt = golden.get("rendered_prompt").asText();
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), loaded.tokenizer().encode(prompt,
                golden.get("tokenizer_call").get("add_special_tokens").asBoolean()));
    }

    /**
     * The fixture's float32 weights rounded to F16 move the logits at every position of
     * the prompt (2.2e-3 to 3.7e-3 measured on these cases); bounded at 6e-3.
     */
    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void everyPromptPositionsLogitsStayNearTransformers(String name) throws IOException {
        JsonNode golden = golden(MODEL, name);
        List<ProcessedImage> images = images(loaded, golden);
        PreparedPrompt p = loaded.model().preparePrompt(collapsed(golden), images);
        assertArrayEquals(inputIds(golden), p.tokenIds());
        try (Arena arena = Arena.ofConfined()) {
            float[] expected = floats(SafetensorsFile.open(goldenTensors(MODEL, name), arena).tensors().get("logits"));
            assertClose(expected, promptLogits(loaded, p, images), 6e-3);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void greedyGenerationGivesTransformersTokens(String name) throws IOException {
        JsonNode golden = golden(MODEL, name);
        int[] expected = greedyTokens(golden);
        try (Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, true, 4, 32))) {
            GenerationResult r = engine.generate(greedyRequest(loaded, golden));
            assertArrayEquals(expected, r.outputIds());
        }
    }
}
