package dev.iris.runtime.gguf;

import dev.iris.api.quant.Dequantizer;
import dev.iris.api.quant.GgmlType;
import dev.iris.api.quant.Quantizer;
import dev.iris.api.tensor.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GGUF reader and the block formats against llama.cpp's gguf-py: testdata/gguf/formats.gguf
 * (written by testdata/gguf/make_formats.py) holds every value type, a tensor of each type Iris
 * reads with gguf-py's dequantization of it, and gguf-py's Q8_0/Q4_0 quantization of awkward
 * inputs.
 */
class GgufFileTest {

    private static final Path FORMATS = Path.of("../testdata/gguf/formats.gguf");

    private final Arena arena = Arena.ofShared();

    @TempDir
    Path tmp;

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void readsTheMetadataOfEveryValueTypeAndTheAlignmentItStates() throws IOException {
        GgufFile f = GgufFile.open(FORMATS, arena);
        assertEquals(3, f.version());
        assertEquals("iris-test", f.architecture());
        var m = f.metadata();
        assertEquals(64L, m.get("general.alignment"));
        assertEquals(200L, m.get("iris.test.u8"));
        assertEquals(-100L, m.get("iris.test.i8"));
        assertEquals(60000L, m.get("iris.test.u16"));
        assertEquals(-30000L, m.get("iris.test.i16"));
        assertEquals(4000000000L, m.get("iris.test.u32"));
        assertEquals(-2000000000L, m.get("iris.test.i32"));
        assertEquals(0.1f, m.get("iris.test.f32"));
        assertEquals("9223372036854775813", Long.toUnsignedString((Long) m.get("iris.test.u64")));
        assertEquals(-(1L << 40), m.get("iris.test.i64"));
        assertEquals(0.1, m.get("iris.test.f64"));
        assertEquals(true, m.get("iris.test.bool"));
        assertEquals("naïve 漢字", m.get("iris.test.string"));
        assertEquals(List.of(1L, -2L, 3L), m.get("iris.test.ints"));
        assertEquals(List.of(0.5f, -1.25f), m.get("iris.test.floats"));
        assertEquals(List.of("a", "", "ĠHello"), m.get("iris.test.strings"));
        assertEquals(List.of(true, false), m.get("iris.test.bools"));
        assertEquals(List.of(List.of(1L, 2L), List.of(3L)), m.get("iris.test.nested"));
    }

    @Test
    void shapesAreRowMajorTheReverseOfGgufsDimensionOrder() throws IOException {
        GgufTensor t = GgufFile.open(FORMATS, arena).tensors().get("shape.3d");
        assertEquals(Shape.of(2, 3, 4), t.shape());
        float[] values = t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
        for (int i = 0; i < 24; i++) {
            assertEquals(i, values[i]);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K"})
    void everyReadableTypeDecodesToGgufPysValuesBitForBit(GgmlType type) throws IOException {
        GgufFile f = GgufFile.open(FORMATS, arena);
        GgufTensor t = f.tensors().get("deq." + type);
        assertEquals(type, t.type());
        assertEquals(Shape.of(3, 512), t.shape());
        float[] expected = floats(f.tensors().get("deq." + type + ".expected"));
        float[] actual = new float[3 * 512];
        long rowBytes = type.bytes(512);
        for (int r = 0; r < 3; r++) { // row by row, as a kernel reads them
            Dequantizer.dequantize(type, t.data().asSlice(r * rowBytes, rowBytes), actual, r * 512, 512);
        }
        for (int i = 0; i < actual.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                    type + " value " + i + ": " + expected[i] + " vs " + actual[i]);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0"})
    void quantizingGivesGgufPysBytesIncludingZeroBlocksTiesAndTinyScales(GgmlType type) throws IOException {
        GgufFile f = GgufFile.open(FORMATS, arena);
        float[] input = floats(f.tensors().get("q.input"));
        byte[] expected = f.tensors().get("q." + type).data().toArray(ValueLayout.JAVA_BYTE);
        MemorySegment out = arena.allocate(type.bytes(input.length));
        Quantizer.quantize(type, input, 0, input.length, out);
        byte[] actual = out.toArray(ValueLayout.JAVA_BYTE);
        for (int b = 0; b < expected.length / type.blockBytes(); b++) {
            int from = b * type.blockBytes();
            assertArrayEquals(Arrays.copyOfRange(expected, from, from + type.blockBytes()),
                    Arrays.copyOfRange(actual, from, from + type.blockBytes()), type + " block " + b);
        }
    }

    @Test
    void aFileCutShortNamesTheTensorWhoseBytesAreMissing() throws IOException {
        byte[] all = Files.readAllBytes(FORMATS);
        Path cut = tmp.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(all, all.length - 100)); // inside shape.3d, the last tensor
        IOException e = assertThrows(IOException.class, () -> GgufFile.open(cut, arena));
        assertTrue(e.getMessage().contains("truncated: tensor 'shape.3d' (F32 [2, 3, 4]) needs bytes"), e.getMessage());

        Files.write(cut, Arrays.copyOf(all, 1000)); // inside the metadata or the tensor table
        e = assertThrows(IOException.class, () -> GgufFile.open(cut, arena));
        assertTrue(e.getMessage().startsWith(cut + ": truncated: the file ends (1000 bytes) inside"), e.getMessage());
    }

    @Test
    void aTensorOfATypeIrisDoesNotReadIsNamedWithItsType() throws IOException {
        Path iq = withTensorType("deq.Q6_K", GgmlType.IQ2_XXS.id());
        IOException e = assertThrows(IOException.class, () -> GgufFile.open(iq, arena));
        assertEquals(iq + ": tensor 'deq.Q6_K' is of type IQ2_XXS, which Iris does not read (it reads "
                + "[F32, F16, Q4_0, Q4_1, Q8_0, Q4_K, Q5_K, Q6_K, BF16])", e.getMessage());

        Path unknown = withTensorType("deq.Q6_K", 99);
        e = assertThrows(IOException.class, () -> GgufFile.open(unknown, arena));
        assertTrue(e.getMessage().contains("tensor 'deq.Q6_K' is of type id 99 (unknown), which Iris does not read"),
                e.getMessage());
    }

    @Test
    void aFileThatIsNotGgufOrOfAnotherVersionSaysSo() throws IOException {
        Path st = Path.of("../testdata/models/tiny-qwen2-vl/model.safetensors");
        IOException e = assertThrows(IOException.class, () -> GgufFile.open(st, arena));
        assertTrue(e.getMessage().startsWith(st + ": not a GGUF file (it starts with 0x"), e.getMessage());

        byte[] all = Files.readAllBytes(FORMATS);
        ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 1);
        Path v1 = tmp.resolve("v1.gguf");
        Files.write(v1, all);
        e = assertThrows(IOException.class, () -> GgufFile.open(v1, arena));
        assertEquals(v1 + ": GGUF version 1 is not read (Iris reads versions 2 and 3)", e.getMessage());

        ByteBuffer.wrap(all).order(ByteOrder.BIG_ENDIAN).putInt(4, 3);
        Files.write(v1, all);
        e = assertThrows(IOException.class, () -> GgufFile.open(v1, arena));
        assertTrue(e.getMessage().endsWith("(a big-endian file; Iris reads little-endian GGUF)"), e.getMessage());
    }

    /** A copy of formats.gguf with one tensor's type id replaced (it follows the name and two dimensions). */
    private Path withTensorType(String tensor, int typeId) throws IOException {
        byte[] all = Files.readAllBytes(FORMATS);
        byte[] name = tensor.getBytes(StandardCharsets.UTF_8);
        ByteBuffer key = ByteBuffer.allocate(8 + name.length).order(ByteOrder.LITTLE_ENDIAN).putLong(name.length).put(name);
        int at = indexOf(all, key.array());
        assertTrue(at > 0, tensor + " not found");
        ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putInt(at + key.capacity() + 4 + 2 * 8, typeId);
        Path p = tmp.resolve("type-" + typeId + ".gguf");
        Files.write(p, all);
        return p;
    }

    private static int indexOf(byte[] all, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= all.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (all[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static float[] floats(GgufTensor t) {
        assertEquals(GgmlType.F32, t.type());
        return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }
}
