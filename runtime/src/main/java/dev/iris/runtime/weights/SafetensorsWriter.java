package dev.iris.runtime.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.tensor.Bf16;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@code .safetensors} file tensor by tensor, streaming, so that multi-gigabyte
 * checkpoints (random-weight benchmark models, test files) never sit in memory.
 */
public final class SafetensorsWriter {

    /** A tensor to write: its data comes from the {@link TensorData} callback, in list order. */
    public record Entry(String name, DType dtype, Shape shape) {

        long byteSize() {
            return shape.elementCount() * dtype.byteSize();
        }
    }

    /** Writes one tensor's bytes (little-endian, row-major) at the channel's position. */
    @FunctionalInterface
    public interface TensorData {
        /**
         * Must leave the channel's position exactly {@code entry}'s byte size further on; moving
         * the position without writing leaves zeros (a sparse file).
         */
        void write(Entry entry, FileChannel out) throws IOException;
    }

    private SafetensorsWriter() {
    }

    /** Writes {@code entries} to {@code file}, replacing it. */
    public static void write(Path file, List<Entry> entries, Map<String, String> metadata, TensorData data)
            throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", e.dtype().safetensorsName());
            ArrayNode shape = t.putArray("shape");
            for (int d : e.shape().dims()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + e.byteSize());
            offset += e.byteSize();
        }
        byte[] text = json.writeValueAsBytes(header);
        // Pad the header with spaces to a multiple of 8 so the data starts aligned.
        int padded = (text.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(text);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (head.hasRemaining()) {
                ch.write(head);
            }
            long expected = head.limit();
            for (Entry e : entries) {
                data.write(e, ch);
                expected += e.byteSize();
                if (ch.position() != expected) {
                    throw new IOException("tensor '" + e.name() + "': the writer left the file at " + ch.position()
                            + ", expected " + expected);
                }
            }
            if (ch.size() < expected) {
                ch.write(ByteBuffer.allocate(1), expected - 1); // sparse tail: make the file its full length
            }
        }
    }

    /** Writes F32 values for an entry of dtype F32, BF16 (rounded to nearest even) or F16. */
    public static void writeFloats(Entry entry, FileChannel out, float[] values) throws IOException {
        if (values.length != entry.shape().elementCount()) {
            throw new IllegalArgumentException(entry.name() + ": " + values.length + " values for shape " + entry.shape());
        }
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            if (buf.remaining() < 4) {
                flush(buf, out);
            }
            switch (entry.dtype()) {
                case F32 -> buf.putFloat(v);
                case BF16 -> buf.putShort(Bf16.fromFloat(v));
                case F16 -> buf.putShort(Float.floatToFloat16(v));
                default -> throw new IllegalArgumentException(entry.name() + ": cannot write floats as " + entry.dtype());
            }
        }
        flush(buf, out);
    }

    private static void flush(ByteBuffer buf, FileChannel out) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            out.write(buf);
        }
        buf.clear();
    }
}
