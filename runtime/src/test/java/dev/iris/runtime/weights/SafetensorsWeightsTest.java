package dev.iris.runtime.weights;

import dev.iris.api.tensor.Bf16;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.WeightTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsWeightsTest {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    @Test
    void readsAHuggingFaceCheckpoint() throws IOException {
        // testdata/models/tiny-qwen2-vl: saved by transformers' save_pretrained, bf16.
        try (SafetensorsWeights w = SafetensorsWeights.open(Path.of("../testdata/models/tiny-qwen2-vl"), LoadProgress.NONE)) {
            assertEquals(58, w.names().size());
            WeightTensor embed = w.get("model.embed_tokens.weight");
            assertEquals(DType.BF16, embed.dtype());
            assertEquals(Shape.of(320, 64), embed.shape());
            WeightTensor qBias = w.get("model.layers.0.self_attn.q_proj.bias");
            assertEquals(Shape.of(64), qBias.shape());
        }
    }

    @Test
    void writtenValuesReadBackForEveryDtype() throws IOException {
        float[] values = {0f, 1.5f, -2.25f, 3.0e-3f, 65504f, -0.0f};
        List<SafetensorsWriter.Entry> entries = List.of(
                new SafetensorsWriter.Entry("a.f32", DType.F32, Shape.of(2, 3)),
                new SafetensorsWriter.Entry("b.bf16", DType.BF16, Shape.of(6)),
                new SafetensorsWriter.Entry("c.f16", DType.F16, Shape.of(3, 2)));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), entries, Map.of("format", "pt"),
                (e, out) -> SafetensorsWriter.writeFloats(e, out, values));

        try (SafetensorsWeights w = SafetensorsWeights.open(dir, LoadProgress.NONE)) {
            WeightTensor a = w.get("a.f32");
            WeightTensor b = w.get("b.bf16");
            WeightTensor c = w.get("c.f16");
            for (int i = 0; i < values.length; i++) {
                assertEquals(values[i], a.data().getAtIndex(F32, i));
                assertEquals(Bf16.toFloat(Bf16.fromFloat(values[i])), Bf16.toFloat(b.data().getAtIndex(I16, i)));
                assertEquals(values[i], Float.float16ToFloat(c.data().getAtIndex(I16, i)), Math.abs(values[i]) * 1e-3f);
            }
            assertEquals(Shape.of(3, 2), c.shape());
        }
    }

    @Test
    void shardsNamedByTheIndexAreAllMappedWithProgress() throws IOException {
        writeShard("model-00001-of-00002.safetensors", "x", "y");
        writeShard("model-00002-of-00002.safetensors", "z");
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata": {"total_size": 36}, "weight_map": {
                  "x": "model-00001-of-00002.safetensors", "y": "model-00001-of-00002.safetensors",
                  "z": "model-00002-of-00002.safetensors"}}
                """);
        List<String> progress = new ArrayList<>();
        try (SafetensorsWeights w = SafetensorsWeights.open(dir,
                (done, total, bytes, allBytes) -> progress.add(done + "/" + total + (bytes == allBytes ? " all" : "")))) {
            assertEquals(java.util.Set.of("x", "y", "z"), w.names());
            assertEquals(2f, w.get("z").data().getAtIndex(F32, 2));
        }
        assertEquals(List.of("1/2", "2/2 all"), progress);
    }

    @Test
    void aTensorTheIndexNamesButItsShardLacksIsAnError() throws IOException {
        writeShard("a.safetensors", "x");
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"x\": \"a.safetensors\", \"ghost\": \"a.safetensors\"}}");
        assertError("'ghost'", "a.safetensors", "no such tensor");
    }

    @Test
    void aShardTheIndexNamesButThatIsMissingIsAnError() throws IOException {
        writeShard("a.safetensors", "x");
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"x\": \"a.safetensors\", \"y\": \"b.safetensors\"}}");
        assertError("b.safetensors", "does not exist");
    }

    @Test
    void aFileShorterThanTheHeaderLengthIsTruncated() throws IOException {
        Files.write(dir.resolve("model.safetensors"), new byte[]{1, 2, 3});
        assertError("model.safetensors", "truncated");
    }

    @Test
    void aHeaderLengthPastTheEndOfTheFileIsAnError() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(4096).put("{}      ".getBytes());
        Files.write(dir.resolve("model.safetensors"), b.array());
        assertError("model.safetensors", "header length 4096 runs past the end");
    }

    @Test
    void anUnknownDtypeNamesTheTensor() throws IOException {
        raw("{\"w\": {\"dtype\": \"F8_E4M3\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 2);
        assertError("'w'", "unsupported safetensors dtype 'F8_E4M3'");
    }

    @Test
    void aShapeThatDisagreesWithItsBytesNamesTheTensor() throws IOException {
        raw("{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8);
        assertError("'w'", "needs 12 bytes but data_offsets cover 8");
    }

    @Test
    void offsetsPastTheDataNameTheTensor() throws IOException {
        raw("{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 8);
        assertError("'w'", "out of range");
    }

    @Test
    void overlappingTensorsAreAnError() throws IOException {
        raw("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12);
        assertError("'b'", "overlaps tensor 'a'");
    }

    @Test
    void aHeaderThatIsNotJsonIsAnError() throws IOException {
        raw("{\"w\": [", 0);
        assertError("model.safetensors", "not valid JSON");
    }

    @Test
    void aDirectoryWithoutWeightsIsAnError() {
        assertError("no model.safetensors");
    }

    @Test
    void aThreeGibFileIsMappedNotCopied() throws IOException {
        // 768 Ki rows × 1024 F32 = 3 GiB, written sparse: the file costs no disk until read.
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.Entry big = new SafetensorsWriter.Entry("big", DType.F32, Shape.of(768 * 1024, 1024));
        SafetensorsWriter.Entry tail = new SafetensorsWriter.Entry("tail", DType.F32, Shape.of(4));
        try {
            SafetensorsWriter.write(file, List.of(big, tail), Map.of(), (e, out) -> {
                if (e == big) {
                    out.position(out.position() + big.shape().elementCount() * 4);
                } else {
                    SafetensorsWriter.writeFloats(e, out, new float[]{1, 2, 3, 4});
                }
            });
            assertTrue(Files.size(file) > 3L << 30);
            long before = usedHeap();
            try (SafetensorsWeights w = SafetensorsWeights.open(dir, LoadProgress.NONE)) {
                WeightTensor t = w.get("big");
                float sum = 0;
                for (long row = 0; row < 768 * 1024; row += 4096) {
                    sum += t.data().getAtIndex(F32, row * 1024 + 1023);
                }
                assertEquals(0f, sum);
                assertEquals(4f, w.get("tail").data().getAtIndex(F32, 3));
                long grown = usedHeap() - before;
                assertTrue(grown < 256L << 20, "heap grew by " + (grown >> 20) + " MiB while mapping 3 GiB");
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static long usedHeap() {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private void writeShard(String name, String... tensors) throws IOException {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (String t : tensors) {
            entries.add(new SafetensorsWriter.Entry(t, DType.F32, Shape.of(3)));
        }
        SafetensorsWriter.write(dir.resolve(name), entries, Map.of(),
                (e, out) -> SafetensorsWriter.writeFloats(e, out, new float[]{0, 1, 2}));
    }

    /** A model.safetensors with this header text and this many zero data bytes. */
    private void raw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(dir.resolve("model.safetensors"), b.array());
    }

    private void assertError(String... fragments) {
        IOException e = assertThrows(IOException.class, () -> SafetensorsWeights.open(dir, LoadProgress.NONE).close());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
    }
}
