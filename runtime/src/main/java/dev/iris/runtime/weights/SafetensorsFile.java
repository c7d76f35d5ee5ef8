package dev.iris.runtime.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.WeightTensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file, memory-mapped: an 8-byte little-endian header length, a JSON
 * header mapping each tensor name to its dtype, shape and byte range, then the raw data. Every
 * tensor is a view of the mapping; nothing is copied. The header is checked completely before
 * any tensor is handed out, and every problem names the file and the tensor.
 */
public final class SafetensorsFile {

    /** The format's own limit on the header, which also guards against absurd lengths. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final long byteSize;
    private final Map<String, WeightTensor> tensors;

    private SafetensorsFile(Path path, long byteSize, Map<String, WeightTensor> tensors) {
        this.path = path;
        this.byteSize = byteSize;
        this.tensors = tensors;
    }

    /**
     * Maps and checks a file. The mapping lives as long as {@code arena}.
     *
     * @throws IOException naming the file (and tensor) when the file is truncated, its header is
     *                     malformed, a dtype is unknown, a shape disagrees with its byte range, or
     *                     ranges overlap or run past the data
     */
    public static SafetensorsFile open(Path path, Arena arena) throws IOException {
        MemorySegment file;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new IOException(path + ": truncated: " + size + " bytes, shorter than the 8-byte header length");
            }
            file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        }
        long size = file.byteSize();
        long headerLength = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
            throw new IOException(path + ": header length " + headerLength + " is not a plausible safetensors header"
                    + " (2 to " + MAX_HEADER_BYTES + " bytes)");
        }
        if (8 + headerLength > size) {
            throw new IOException(path + ": header length " + headerLength + " runs past the end of the file ("
                    + size + " bytes)");
        }
        String headerText = new String(file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.UTF_8);
        JsonNode header;
        try {
            header = JSON.readTree(headerText);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(path + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new IOException(path + ": header is not a JSON object");
        }
        MemorySegment data = file.asSlice(8 + headerLength);
        return new SafetensorsFile(path, size, parseTensors(path, header, data));
    }

    private record Range(String name, long begin, long end) {
    }

    private static Map<String, WeightTensor> parseTensors(Path path, JsonNode header, MemorySegment data)
            throws IOException {
        Map<String, WeightTensor> tensors = new LinkedHashMap<>();
        List<Range> ranges = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                continue;
            }
            JsonNode t = e.getValue();
            String where = path + ": tensor '" + name + "'";
            if (!t.isObject() || !t.path("dtype").isTextual() || !t.path("shape").isArray()
                    || !t.path("data_offsets").isArray() || t.path("data_offsets").size() != 2) {
                throw new IOException(where + ": entry needs dtype, shape and data_offsets [begin, end]");
            }
            DType dtype;
            try {
                dtype = DType.fromSafetensors(t.get("dtype").asText());
            } catch (IllegalArgumentException ex) {
                throw new IOException(where + ": " + ex.getMessage());
            }
            int[] dims = new int[t.get("shape").size()];
            for (int i = 0; i < dims.length; i++) {
                JsonNode d = t.get("shape").get(i);
                if (!d.canConvertToInt() || d.asInt() < 0) {
                    throw new IOException(where + ": bad dimension " + d + " in shape " + t.get("shape"));
                }
                dims[i] = d.asInt();
            }
            JsonNode offsets = t.get("data_offsets");
            if (!offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
                throw new IOException(where + ": data_offsets " + offsets + " are not integers");
            }
            long begin = offsets.get(0).asLong();
            long end = offsets.get(1).asLong();
            if (begin < 0 || end < begin || end > data.byteSize()) {
                throw new IOException(where + ": data_offsets [" + begin + ", " + end + "] out of range (the data"
                        + " section has " + data.byteSize() + " bytes)");
            }
            Shape shape = new Shape(dims);
            long expected = shape.elementCount() * dtype.byteSize();
            if (end - begin != expected) {
                throw new IOException(where + ": shape " + shape + " of " + dtype + " needs " + expected
                        + " bytes but data_offsets cover " + (end - begin));
            }
            ranges.add(new Range(name, begin, end));
            tensors.put(name, new WeightTensor(name, dtype, shape, data.asSlice(begin, end - begin)));
        }
        ranges.sort(Comparator.comparingLong(Range::begin).thenComparingLong(Range::end));
        for (int i = 1; i < ranges.size(); i++) {
            Range prev = ranges.get(i - 1);
            Range cur = ranges.get(i);
            if (cur.begin() < prev.end()) {
                throw new IOException(path + ": tensor '" + cur.name() + "' [" + cur.begin() + ", " + cur.end()
                        + ") overlaps tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + ")");
            }
        }
        return tensors;
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** Its size in bytes. */
    public long byteSize() {
        return byteSize;
    }

    /** Its tensors by name, in header order. */
    public Map<String, WeightTensor> tensors() {
        return java.util.Collections.unmodifiableMap(tensors);
    }
}
