package dev.iris.runtime.gguf;

import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.runtime.checkpoint.Checkpoint;
import dev.iris.runtime.checkpoint.HfDirectory;
import dev.iris.runtime.weights.LoadProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reading llama.cpp's files as a checkpoint: the tensors come back under their Hugging Face
 * names with the Hugging Face values (testdata/gguf/tiny-*.gguf against the fixtures'
 * safetensors), and every file Iris cannot serve is refused in one line naming the cause.
 */
class GgufCheckpointTest {

    private static final Path GGUF = Path.of("../testdata/gguf");
    private static final Path QWEN = GGUF.resolve("tiny-qwen2-vl-F16.gguf");
    private static final Path QWEN_MMPROJ = GGUF.resolve("tiny-qwen2-vl-mmproj-F16.gguf");
    private static final Path LLAVA = GGUF.resolve("tiny-llava-1.5-F16.gguf");
    private static final Path LLAVA_MMPROJ = GGUF.resolve("tiny-llava-1.5-mmproj-F16.gguf");

    @TempDir
    Path dir;

    private static Checkpoint open(Path model, Path mmproj) throws IOException {
        return GgufCheckpoint.open(model, mmproj, "{}", "{}", null, false, LoadProgress.NONE);
    }

    private static Checkpoint directory(String name) throws IOException {
        return HfDirectory.open(Path.of("../testdata/models", name), "{}", "{}", null, false, LoadProgress.NONE);
    }

    /** Every tensor the family reads has the safetensors tensor's shape and, widened, its values to F16's precision. */
    private static void assertSameTensors(Checkpoint gguf, Checkpoint hf) throws IOException {
        for (String name : gguf.weights().names()) {
            WeightTensor g = gguf.weights().get(name);
            WeightTensor h = hf.weights().get(name);
            assertEquals(h.shape(), g.shape(), name);
            float[] a = floats(g);
            float[] b = floats(h);
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], Math.abs(b[i]) * 1e-3 + 1e-7, name + "[" + i + "]");
            }
        }
    }

    private static float[] floats(WeightTensor t) {
        int n = Math.toIntExact(t.shape().elementCount());
        float[] out = new float[n];
        dev.iris.api.quant.Dequantizer.dequantize(t.dtype().ggml(), t.data(), out, 0, n);
        return out;
    }

    @Test
    void qwen2VlsSplitQkvAndPatchFramesComeBackAsTheSafetensorsHoldThem() throws IOException {
        Checkpoint gguf = open(QWEN, QWEN_MMPROJ);
        Checkpoint hf = directory("tiny-qwen2-vl");
        try (var gw = gguf.weights(); var hw = hf.weights()) {
            assertEquals(hw.names(), gw.names());
            assertSameTensors(gguf, hf);
        }
    }

    @Test
    void llavasPermutedQkRowsAndSwappedMlpNamesComeBackAsTheSafetensorsHoldThem() throws IOException {
        Checkpoint gguf = open(LLAVA, LLAVA_MMPROJ);
        Checkpoint hf = directory("tiny-llava-1.5");
        try (var gw = gguf.weights(); var hw = hf.weights()) {
            assertTrue(hw.names().containsAll(gw.names()));
            // Only what llama.cpp's LLaVA converter drops is missing: the last CLIP block and the final norm.
            assertTrue(hw.names().stream().filter(n -> !gw.names().contains(n))
                    .allMatch(n -> n.contains("encoder.layers.2.") || n.contains("post_layernorm")));
            assertSameTensors(gguf, hf);
            assertEquals(DType.F16, gw.get("language_model.model.layers.0.self_attn.q_proj.weight").dtype());
        }
    }

    @Test
    void aTensorTypeIrisDoesNotReadIsNamedWithItsTensor() throws IOException {
        Path copy = dir.resolve("iq2.gguf");
        byte[] bytes = Files.readAllBytes(QWEN);
        setTensorType(bytes, "output.weight", 16); // IQ2_XXS
        Files.write(copy, bytes);
        IOException e = assertThrows(IOException.class, () -> open(copy, QWEN_MMPROJ));
        assertOneLine(e, "tensor 'output.weight'", "IQ2_XXS");
    }

    @Test
    void aTruncatedFileIsRefused() throws IOException {
        Path copy = dir.resolve("cut.gguf");
        byte[] bytes = Files.readAllBytes(QWEN);
        Files.write(copy, Arrays.copyOf(bytes, bytes.length / 2));
        IOException e = assertThrows(IOException.class, () -> open(copy, QWEN_MMPROJ));
        assertOneLine(e, copy.toString());
    }

    @Test
    void anArchitectureIrisDoesNotServeIsNamed() throws IOException {
        Path copy = dir.resolve("granite.gguf");
        byte[] bytes = Files.readAllBytes(QWEN);
        replaceFirst(bytes, "general.architecture", "qwen2vl", "granite");
        Files.write(copy, bytes);
        IOException e = assertThrows(IOException.class, () -> open(copy, QWEN_MMPROJ));
        assertOneLine(e, "general.architecture 'granite' is not served by Iris");
    }

    @Test
    void aTextModelWithoutItsProjectorOrWithTheWrongOneIsRefused() {
        assertOneLine(assertThrows(IOException.class, () -> open(QWEN, null)), "add --mmproj");
        assertOneLine(assertThrows(IOException.class, () -> open(QWEN, LLAVA)), "not a vision projector");
        assertOneLine(assertThrows(IOException.class, () -> open(QWEN, LLAVA_MMPROJ)),
                "a qwen2vl model with a 'mlp' projector is not served");
    }

    @Test
    void onlyGgufFilesAreTakenForGguf() {
        assertTrue(GgufCheckpoint.isGguf(QWEN));
        assertFalse(GgufCheckpoint.isGguf(Path.of("../testdata/models/tiny-qwen2-vl/model.safetensors")));
        assertFalse(GgufCheckpoint.isGguf(Path.of("../testdata/models/tiny-qwen2-vl")));
    }

    @Test
    void theGgufsVocabularyTokenizesAsTheModelsTokenizerJson() throws IOException {
        Checkpoint gguf = open(QWEN, QWEN_MMPROJ);
        Checkpoint hf = directory("tiny-qwen2-vl");
        try (var gw = gguf.weights(); var hw = hf.weights()) {
            for (String text : new String[]{"Hello! Write a short poem about the sea.", "it's 2024,\n\n  tabs\tand émigrés",
                    "<|im_start|>user\nhi<|im_end|>"}) {
                assertArrayEquals(hf.tokenizer().encode(text, true), gguf.tokenizer().encode(text, true), text);
                int[] ids = gguf.tokenizer().encode(text, false);
                assertEquals(hf.tokenizer().decode(ids, false), gguf.tokenizer().decode(ids, false), text);
            }
        }
    }

    private static void assertOneLine(IOException e, String... parts) {
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), e.getMessage());
        }
    }

    /** Overwrites the type id in the tensor table entry of {@code tensor}. */
    private static void setTensorType(byte[] file, String tensor, int type) {
        byte[] name = tensor.getBytes(StandardCharsets.UTF_8);
        int at = indexOf(file, name, 0);
        // u64 name length before the name; after it: u32 dims, dims × u64, u32 type.
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int dims = b.getInt(at + name.length);
        b.putInt(at + name.length + 4 + 8 * dims, type);
    }

    private static void replaceFirst(byte[] file, String after, String from, String to) {
        int at = indexOf(file, from.getBytes(StandardCharsets.UTF_8), indexOf(file, after.getBytes(StandardCharsets.UTF_8), 0));
        System.arraycopy(to.getBytes(StandardCharsets.UTF_8), 0, file, at, to.length());
    }

    private static int indexOf(byte[] file, byte[] what, int from) {
        outer:
        for (int i = from; i <= file.length - what.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (file[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found: " + new String(what, StandardCharsets.UTF_8));
    }
}
