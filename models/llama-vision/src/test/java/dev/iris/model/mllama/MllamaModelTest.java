package dev.iris.model.mllama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.model.SequenceInput;
import dev.iris.api.tensor.Tensor;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.media.MediaLoader;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tiny-mllama against transformers 4.46.3 in float32 on every golden case
 * (testdata/golden/tiny-mllama/{text_only, one_image, two_images}.*, from the shared fixtures):
 * the cross-attention token mask and the logits at every prompt position, the images encoded and
 * their K/V written to encoder pages as a serving step does.
 */
class MllamaModelTest {

    private static final Path MODEL = Path.of("../../testdata/models/tiny-mllama");
    private static final Path GOLDENS = Path.of("../../testdata/golden/tiny-mllama");

    private static LoadedModel loaded;
    private static MllamaModel model;

    @BeforeAll
    static void load() throws IOException {
        // F32 products: the goldens are float32 logits (MllamaEngineTest runs the default BF16 path).
        loaded = LoadedModel.load(MODEL, List.of(new MllamaArchitecture()), CpuComputeBackend.withF32Products(),
                new CpuAttentionBackend(), LoadProgress.NONE);
        model = (MllamaModel) loaded.model();
    }

    @AfterAll
    static void close() throws IOException {
        loaded.close();
    }

    private static List<MllamaImage> images(JsonNode golden) throws IOException {
        MllamaImageProcessor processor = new MllamaImageProcessor(
                JsonConfigView.read(MODEL.resolve("preprocessor_config.json"), false));
        List<MllamaImage> out = new ArrayList<>();
        for (JsonNode file : golden.get("image_files")) {
            byte[] png = Files.readAllBytes(Path.of("../../testdata").resolve(file.asText()));
            RgbaImage rgba = new MediaLoader(MediaOptions.defaults())
                    .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(png))).getFirst();
            out.add(processor.process(rgba, JsonConfigView.parse("none", "{}")));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "two_images"})
    void theCrossAttentionMaskAndEveryPositionsLogitsMatchTransformers(String name) throws IOException {
        JsonNode golden = new ObjectMapper().readTree(GOLDENS.resolve(name + ".json").toFile());
        int[] ids = new int[golden.get("input_ids").size()];
        Arrays.setAll(ids, i -> golden.get("input_ids").get(i).asInt());
        List<MllamaImage> images = images(golden);
        PreparedPrompt prompt = model.preparePrompt(ids, List.copyOf(images));
        assertArrayEquals(ids, prompt.tokenIds());
        int[][] visible = prompt.encoderVisibility();
        int rowsPerImage = model.encoderRowsPerImage();
        int encoderRows = prompt.encoderRows();
        assertEquals(images.size() * rowsPerImage, encoderRows);
        try (Arena arena = Arena.ofConfined()) {
            var tensors = SafetensorsFile.open(GOLDENS.resolve(name + ".safetensors"), arena).tensors();
            if (!images.isEmpty()) {
                // The processor's dense mask [1, seq, images, maxTiles] says the same as the ranges.
                long[] dense = tensors.get("cross_attention_mask").data().toArray(ValueLayout.JAVA_LONG);
                int tiles = 4;
                int tileRows = rowsPerImage / tiles;
                for (int s = 0; s < ids.length; s++) {
                    for (int m = 0; m < images.size(); m++) {
                        for (int t = 0; t < tiles; t++) {
                            int row = m * rowsPerImage + t * tileRows;
                            boolean reads = false;
                            for (int r = 0; r < visible[s].length; r += 2) {
                                reads |= visible[s][r] <= row && row < visible[s][r + 1];
                            }
                            assertEquals(dense[(s * images.size() + m) * tiles + t] == 1, reads,
                                    "token " + s + ", image " + m + ", tile " + t);
                        }
                    }
                }
            }
            float[] got = logits(ids, images, visible, encoderRows);
            float[] expected = tensors.get("logits").data().toArray(ValueLayout.JAVA_FLOAT);
            assertEquals(expected.length, got.length);
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - got[i]));
            }
            assertTrue(worst < 1e-4, "largest logit difference " + worst);
        }
    }

    /** One prefill step over the whole prompt, logits for every position. */
    private static float[] logits(int[] ids, List<MllamaImage> images, int[][] visible, int encoderRows) {
        CpuAttentionBackend attention = new CpuAttentionBackend();
        var spec = model.spec();
        int n = ids.length;
        int pageSize = 16;
        int[] pages = new int[(n + pageSize - 1) / pageSize];
        Arrays.setAll(pages, i -> i);
        int[] encoderPages = new int[(encoderRows + pageSize - 1) / pageSize];
        Arrays.setAll(encoderPages, i -> i);
        try (KvCache cache = attention.createCache(new KvCacheSpec(spec.layers(), spec.kvHeads(), spec.headDim(),
                pageSize, pages.length));
             KvCache encoderCache = attention.createCache(new KvCacheSpec(spec.crossLayers(), spec.kvHeads(),
                     spec.headDim(), pageSize, Math.max(1, encoderPages.length)))) {
            List<EncodedImage> encoded = model.encodeImages(List.<ProcessedImage>copyOf(images));
            SequenceInput in = new SequenceInput(ids, model.preparePrompt(ids, List.copyOf(images)).positions(),
                    new AttentionSequence(0, n, 0, pages, encoderRows, encoderPages), List.of(),
                    images.isEmpty() ? null : new SequenceInput.CrossAttentionInput(encoded, visible), n);
            Tensor logits = model.forward(new ForwardBatch(List.of(in), cache, encoderCache));
            return loaded.compute().toFloats(logits);
        }
    }
}
