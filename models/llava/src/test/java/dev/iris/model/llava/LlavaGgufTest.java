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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

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
 * tiny-llava-1.5 and tiny-llava-next served from the GGUF files llama.cpp's LLaVA conversion writes
 * from them (testdata/gguf/NAME-F16.gguf and -mmproj-F16.gguf, made by testdata/gguf/make_models.py
 * with llama.cpp's gguf-py): Q/K rows back in Hugging Face order, the CLIP tower cut after its
 * feature layer, the MLP's two layers told apart by shape, the SentencePiece vocabulary and its
 * scores as the tokenizer; for NeXT the anyres pinpoints and the image newline.
 */
class LlavaGgufTest {

    private static final Path GGUF = TESTDATA.resolve("gguf");
    private static final Map<String, LoadedModel> LOADED = new HashMap<>();

    private static LoadedModel loaded(String model) throws IOException {
        LoadedModel m = LOADED.get(model);
        if (m == null) {
            m = LoadedModel.load(GGUF.resolve(model + "-F16.gguf"), List.of(new LlavaArchitecture()),
                    CpuComputeBackend.withF32Products(), new CpuAttentionBackend(),
                    new LoadedModel.Overrides("{}", "{}", null, false, null, GGUF.resolve(model + "-mmproj-F16.gguf")),
                    LoadProgress.NONE);
            LOADED.put(model, m);
        }
        return m;
    }

    @AfterAll
    static void close() throws IOException {
        for (LoadedModel m : LOADED.values()) {
            m.close();
        }
    }

    @ParameterizedTest
    @CsvSource({"tiny-llava-1.5, LlavaForConditionalGeneration", "tiny-llava-next, LlavaNextForConditionalGeneration"})
    void theGgufsMetadataBecomesALlavaConfig(String model, String architecture) throws IOException {
        var config = loaded(model).checkpoint().config();
        assertEquals(List.of(architecture), config.strings("architectures").orElseThrow());
        assertEquals(360, config.requireInt("image_token_index"));
        assertEquals(2, config.requireObject("vision_config").requireInt("num_hidden_layers"));
        assertEquals("quick_gelu", config.requireObject("vision_config").requireString("hidden_act"));
        assertEquals(Set.of(2), loaded(model).eosTokenIds());
        var reference = dev.iris.runtime.config.JsonConfigView.read(TESTDATA.resolve("models").resolve(model)
                .resolve("config.json"), false);
        assertEquals(reference.integerMatrix("image_grid_pinpoints").orElse(List.of()),
                config.integerMatrix("image_grid_pinpoints").orElse(List.of()));
    }

    /**
     * The GGUF's SentencePiece vocabulary tokenizes as llama.cpp does: it puts a word-start mark
     * before the text that follows a special token, as the original LLaVA code did by splitting
     * prompts at {@code <image>}, and as transformers' {@code legacy=true} tokenizer (NeXT's) does;
     * so the golden ids of a {@code legacy=false} tokenizer (1.5's) gain a {@code ▁} after each image.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void theGgufsTokenizerGivesTheGoldenPromptIdsWithLlamaCppsSpaceAfterEachImage(String model, String name)
            throws IOException {
        LoadedModel loaded = loaded(model);
        JsonNode golden = golden(model, name);
        boolean legacy = dev.iris.runtime.config.JsonConfigView.read(TESTDATA.resolve("models").resolve(model)
                .resolve("tokenizer_config.json"), false).boolOr("legacy", true);
        int imageToken = golden.get("image_token_id").asInt();
        int wordStart = loaded.tokenizer().tokenId("\u2581").orElseThrow();
        List<Integer> expected = new ArrayList<>();
        for (int id : collapsed(golden)) {
            expected.add(id);
            if (id == imageToken && !legacy) {
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
    @MethodSource("cases")
    void everyPromptPositionsLogitsStayNearTransformers(String model, String name) throws IOException {
        LoadedModel loaded = loaded(model);
        JsonNode golden = golden(model, name);
        List<ProcessedImage> images = images(loaded, golden);
        PreparedPrompt p = loaded.model().preparePrompt(collapsed(golden), images);
        assertArrayEquals(inputIds(golden), p.tokenIds());
        try (Arena arena = Arena.ofConfined()) {
            float[] expected = floats(SafetensorsFile.open(goldenTensors(model, name), arena).tensors().get("logits"));
            assertClose(expected, promptLogits(loaded, p, images), 6e-3);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void greedyGenerationGivesTransformersTokens(String model, String name) throws IOException {
        LoadedModel loaded = loaded(model);
        JsonNode golden = golden(model, name);
        int[] expected = greedyTokens(golden);
        try (Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(4, 512, 0, true, 4, 32))) {
            GenerationResult r = engine.generate(greedyRequest(loaded, golden));
            assertArrayEquals(expected, r.outputIds());
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of("tiny-llava-1.5", "tiny-llava-next").flatMap(model -> Stream.of("text_only", "one_image",
                "two_images").map(name -> Arguments.of(model, name)));
    }
}
