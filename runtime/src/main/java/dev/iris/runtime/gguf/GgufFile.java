package dev.iris.runtime.gguf;

import dev.iris.api.quant.GgmlType;
import dev.iris.api.tensor.Shape;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One GGUF file (version 2 or 3, little-endian), memory-mapped: the header, the metadata
 * key/values, the tensor table, then the tensors' data from the first aligned offset
 * ({@code general.alignment}, 32 by default). Everything is checked before anything is handed
 * out — lengths against the file's size, types against those Iris reads, each tensor's bytes
 * inside the data section and apart from the others — and every problem is one line naming the
 * file and, where there is one, the key or tensor.
 *
 * <p>Metadata values: every integer type as a {@link Long} (a UINT64 past {@code Long.MAX_VALUE}
 * keeps its bits), FLOAT32 as {@link Float}, FLOAT64 as {@link Double}, BOOL as {@link Boolean},
 * STRING as {@link String}, ARRAY as an unmodifiable {@link List} of those (arrays may nest).
 */
public final class GgufFile {

    /** "GGUF" read as a little-endian int. */
    private static final int MAGIC = 0x46554747;
    private static final int DEFAULT_ALIGNMENT = 32;
    /** GGML_MAX_DIMS. */
    private static final int MAX_DIMS = 4;

    private final Path path;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufTensor> tensors;

    private GgufFile(Path path, int version, Map<String, Object> metadata, Map<String, GgufTensor> tensors) {
        this.path = path;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /**
     * Maps and checks a file; the mapping lives as long as {@code arena}.
     *
     * @throws IOException one line naming the file and the cause: not GGUF, a version other than
     *                     2 and 3, truncated, a malformed or duplicate key, a tensor of a type Iris
     *                     does not read, a tensor outside the data or overlapping another
     */
    public static GgufFile open(Path path, Arena arena) throws IOException {
        MemorySegment file;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
        Reader in = new Reader(path, file);
        int magic = in.i32("the magic number");
        if (magic != MAGIC) {
            throw new IOException(path + ": not a GGUF file (it starts with 0x" + Integer.toHexString(magic)
                    + ", not \"GGUF\")");
        }
        int version = in.i32("the version");
        if (version != 2 && version != 3) {
            throw new IOException(path + ": GGUF version " + Integer.toUnsignedString(version) + " is not read"
                    + (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? " (a big-endian file; Iris reads little-endian GGUF)" : " (Iris reads versions 2 and 3)"));
        }
        long tensorCount = in.count("the tensor count", 8 + 4 + 8 + 4 + 8);
        long keyCount = in.count("the metadata count", 8 + 4);

        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < keyCount; i++) {
            String key = in.string("metadata key " + i);
            int type = in.i32("the type of '" + key + "'");
            Object value = in.value(type, "'" + key + "'");
            if (metadata.putIfAbsent(key, value) != null) {
                throw new IOException(path + ": metadata key '" + key + "' appears twice");
            }
        }
        long alignment = DEFAULT_ALIGNMENT;
        Object a = metadata.get("general.alignment");
        if (a != null) {
            if (!(a instanceof Long l) || l <= 0 || Long.bitCount(l) != 1) {
                throw new IOException(path + ": general.alignment " + a + " is not a power of two");
            }
            alignment = l;
        }

        record Entry(String name, GgmlType type, Shape shape, long offset, long bytes) {
        }
        List<Entry> entries = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = in.string("the name of tensor " + i);
            String where = path + ": tensor '" + name + "'";
            int dims = in.i32("the dimensions of tensor '" + name + "'");
            if (dims < 1 || dims > MAX_DIMS) {
                throw new IOException(where + " has " + Integer.toUnsignedString(dims) + " dimensions (1 to "
                        + MAX_DIMS + ")");
            }
            int[] shape = new int[dims];
            for (int d = 0; d < dims; d++) {
                long n = in.i64("the shape of tensor '" + name + "'");
                if (n < 1 || n > Integer.MAX_VALUE) {
                    throw new IOException(where + ": dimension " + Long.toUnsignedString(n) + " is out of range");
                }
                shape[dims - 1 - d] = (int) n; // GGUF lists the row length first
            }
            int typeId = in.i32("the type of tensor '" + name + "'");
            GgmlType type = GgmlType.byId(typeId);
            if (type == null || !type.readable()) {
                throw new IOException(where + " is of type " + (type == null ? "id " + typeId + " (unknown)" : type)
                        + ", which Iris does not read (it reads " + GgmlType.readableTypes() + ")");
            }
            long offset = in.i64("the offset of tensor '" + name + "'");
            Shape s = new Shape(shape);
            if (shape[dims - 1] % type.blockElements() != 0) {
                throw new IOException(where + ": rows of " + shape[dims - 1] + " values are not whole " + type
                        + " blocks of " + type.blockElements());
            }
            if (offset < 0 || offset % alignment != 0) {
                throw new IOException(where + ": offset " + Long.toUnsignedString(offset) + " is not a multiple of the"
                        + " alignment " + alignment);
            }
            entries.add(new Entry(name, type, s, offset, type.bytes(s.elementCount())));
        }
        long dataStart = (in.position() + alignment - 1) / alignment * alignment;
        long dataBytes = Math.max(0, file.byteSize() - dataStart);

        Map<String, GgufTensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (e.offset() > dataBytes || e.bytes() > dataBytes - e.offset()) {
                throw new IOException(path + ": truncated: tensor '" + e.name() + "' (" + e.type() + " " + e.shape()
                        + ") needs bytes " + (dataStart + e.offset()) + " to " + (dataStart + e.offset() + e.bytes())
                        + " but the file has " + file.byteSize());
            }
            GgufTensor t = new GgufTensor(e.name(), e.type(), e.shape(), file.asSlice(dataStart + e.offset(), e.bytes()));
            if (tensors.putIfAbsent(e.name(), t) != null) {
                throw new IOException(path + ": tensor '" + e.name() + "' appears twice");
            }
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry prev = byOffset.get(i - 1);
            Entry cur = byOffset.get(i);
            if (cur.offset() < prev.offset() + prev.bytes()) {
                throw new IOException(path + ": tensor '" + cur.name() + "' overlaps tensor '" + prev.name() + "'");
            }
        }
        return new GgufFile(path, version, Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(tensors));
    }

    public Path path() {
        return path;
    }

    /** 2 or 3. */
    public int version() {
        return version;
    }

    /** Every key/value, in file order (values as the class comment says). */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The tensors by name, in file order. */
    public Map<String, GgufTensor> tensors() {
        return tensors;
    }

    /** {@code general.architecture}, e.g. {@code qwen2vl}, {@code llama}, {@code clip}; null when absent. */
    public String architecture() {
        return metadata.get("general.architecture") instanceof String s ? s : null;
    }

    /** A string value; absent when the key is missing. */
    public Optional<String> string(String key) throws IOException {
        return typed(key, String.class);
    }

    /** An integer value of any width; absent when the key is missing. */
    public Optional<Long> integer(String key) throws IOException {
        return typed(key, Long.class);
    }

    /** A FLOAT32 or FLOAT64 value as a double; absent when the key is missing. */
    public Optional<Double> number(String key) throws IOException {
        Object v = metadata.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Float f) {
            return Optional.of((double) f);
        }
        if (v instanceof Double d) {
            return Optional.of(d);
        }
        throw new IOException(path + ": metadata '" + key + "' is " + v.getClass().getSimpleName() + ", not a number");
    }

    /** A BOOL value; absent when the key is missing. */
    public Optional<Boolean> bool(String key) throws IOException {
        return typed(key, Boolean.class);
    }

    /** An ARRAY value whose elements are all of {@code type}; absent when the key is missing. */
    public <T> Optional<List<T>> array(String key, Class<T> type) throws IOException {
        Optional<List> v = typed(key, List.class);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        for (Object e : v.get()) {
            if (!type.isInstance(e)) {
                throw new IOException(path + ": metadata '" + key + "' holds " + e.getClass().getSimpleName()
                        + " values, not " + type.getSimpleName());
            }
        }
        @SuppressWarnings("unchecked") List<T> list = (List<T>) v.get();
        return Optional.of(list);
    }

    /** A value that must be present: the one-line error names the file and key. */
    public <T> T require(String key, Optional<T> value) throws IOException {
        return value.orElseThrow(() -> new IOException(path + ": no metadata '" + key + "'"));
    }

    private <T> Optional<T> typed(String key, Class<T> type) throws IOException {
        Object v = metadata.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!type.isInstance(v)) {
            throw new IOException(path + ": metadata '" + key + "' is " + v.getClass().getSimpleName() + ", not "
                    + type.getSimpleName());
        }
        return Optional.of(type.cast(v));
    }

    /** A bounds-checked little-endian cursor over the mapping. */
    private static final class Reader {

        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final Path path;
        private final MemorySegment file;
        private long at;

        Reader(Path path, MemorySegment file) {
            this.path = path;
            this.file = file;
        }

        long position() {
            return at;
        }

        private void need(long bytes, String what) throws IOException {
            if (bytes < 0 || bytes > file.byteSize() - at) {
                throw new IOException(path + ": truncated: the file ends (" + file.byteSize() + " bytes) inside "
                        + what);
            }
        }

        int i32(String what) throws IOException {
            need(4, what);
            int v = file.get(I32, at);
            at += 4;
            return v;
        }

        long i64(String what) throws IOException {
            need(8, what);
            long v = file.get(I64, at);
            at += 8;
            return v;
        }

        /** A count of things of at least {@code minBytes} bytes each, checked against what is left. */
        long count(String what, long minBytes) throws IOException {
            long n = i64(what);
            if (n < 0 || n > (file.byteSize() - at) / minBytes) {
                throw new IOException(path + ": truncated or corrupt: " + what + " " + Long.toUnsignedString(n)
                        + " cannot fit in the " + (file.byteSize() - at) + " bytes left");
            }
            return n;
        }

        String string(String what) throws IOException {
            long length = i64(what);
            need(length, what);
            try {
                String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(file.asSlice(at, length).asByteBuffer()).toString();
                at += length;
                return s;
            } catch (CharacterCodingException e) {
                throw new IOException(path + ": " + what + " is not valid UTF-8");
            }
        }

        Object value(int type, String what) throws IOException {
            return switch (type) {
                case 0 -> (long) (byte1(what) & 0xFF);
                case 1 -> (long) byte1(what);
                case 2 -> (long) (short2(what) & 0xFFFF);
                case 3 -> (long) short2(what);
                case 4 -> i32(what) & 0xFFFF_FFFFL;
                case 5 -> (long) i32(what);
                case 6 -> {
                    need(4, what);
                    float f = file.get(F32, at);
                    at += 4;
                    yield f;
                }
                case 7 -> {
                    byte b = byte1(what);
                    if (b != 0 && b != 1) {
                        throw new IOException(path + ": " + what + " is a BOOL of value " + b);
                    }
                    yield b == 1;
                }
                case 8 -> string(what);
                case 9 -> {
                    int elementType = i32(what);
                    long n = count(what + "'s length", 1);
                    List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 20));
                    for (long i = 0; i < n; i++) {
                        list.add(value(elementType, what));
                    }
                    yield Collections.unmodifiableList(list);
                }
                case 10, 11 -> i64(what);
                case 12 -> {
                    need(8, what);
                    double d = file.get(F64, at);
                    at += 8;
                    yield d;
                }
                default -> throw new IOException(path + ": " + what + " has value type " + Integer.toUnsignedString(type)
                        + ", which GGUF does not define");
            };
        }

        private byte byte1(String what) throws IOException {
            need(1, what);
            return file.get(ValueLayout.JAVA_BYTE, at++);
        }

        private short short2(String what) throws IOException {
            need(2, what);
            short v = file.get(I16, at);
            at += 2;
            return v;
        }
    }
}
