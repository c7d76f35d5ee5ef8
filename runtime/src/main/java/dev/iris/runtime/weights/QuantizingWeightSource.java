package dev.iris.runtime.weights;

import dev.iris.api.quant.Dequantizer;
import dev.iris.api.quant.Quantizer;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.WeightSource;
import dev.iris.api.tensor.WeightTensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * {@code --quantization}: a checkpoint whose language model's linear weights, LM head and token
 * embeddings are handed out quantized to one of llama.cpp's block types, made at load from the
 * stored values with llama.cpp's reference rounding ({@link Quantizer}), as {@code llama-quantize}
 * treats them; every other tensor (norms, biases, the vision tower and projector) as stored.
 *
 * <p>These weights are recognised by the Hugging Face decoder naming all served families share:
 * {@code [language_model.]model.layers.N.(self_attn|cross_attn|mlp).*_proj.weight},
 * {@code [language_model.]lm_head.weight}, {@code [language_model.]model.embed_tokens.weight}
 * (vision towers name theirs {@code visual.blocks}, {@code encoder.layers},
 * {@code transformer.layers}). A weight whose rows are not whole blocks stays as stored.
 */
public final class QuantizingWeightSource implements WeightSource {

    /** The types a checkpoint can be quantized to at load, by their {@code --quantization} names. */
    public static final Set<DType> TYPES = Set.of(DType.Q8_0, DType.Q4_0);

    private static final Pattern LANGUAGE_MODEL_LINEAR = Pattern.compile("(.*\\.)?(model\\.layers\\.\\d+\\."
            + "(self_attn|cross_attn|mlp)\\.[a-z_]+_proj|lm_head|model\\.embed_tokens)\\.weight");

    private final WeightSource source;
    private final DType type;
    private final Arena arena = Arena.ofShared();
    private final AtomicInteger quantized = new AtomicInteger();
    private final AtomicLong storedBytes = new AtomicLong();
    private final AtomicLong quantizedBytes = new AtomicLong();

    /** @param type one of {@link #TYPES} */
    public QuantizingWeightSource(WeightSource source, DType type) {
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type + " at load (only to " + TYPES + ")");
        }
        this.source = source;
        this.type = type;
    }

    /** Whether {@code name} is one of the language model's linear weights, its LM head or its token embeddings. */
    public static boolean languageModelLinear(String name) {
        return LANGUAGE_MODEL_LINEAR.matcher(name).matches();
    }

    @Override
    public Set<String> names() {
        return source.names();
    }

    @Override
    public WeightTensor get(String name) throws IOException {
        WeightTensor t = source.get(name);
        if (!languageModelLinear(name) || t.shape().rank() != 2 || !t.dtype().isFloatingPoint()
                || t.shape().dim(1) % type.ggml().blockElements() != 0) {
            return t;
        }
        int rows = t.shape().dim(0);
        int cols = t.shape().dim(1);
        MemorySegment out = scratchFile(type.bytes((long) rows * cols));
        long rowBytes = type.bytes(cols);
        long storedRow = t.dtype().bytes(cols);
        // Row by row on every core: a 2B model's 1.5 G values take seconds on one.
        IntStream.range(0, rows).parallel().forEach(r -> {
            float[] row = new float[cols];
            Dequantizer.dequantize(t.dtype().ggml(), t.data().asSlice(r * storedRow, storedRow), row, 0, cols);
            Quantizer.quantize(type.ggml(), row, 0, cols, out.asSlice(r * rowBytes, rowBytes));
        });
        // Neither copy stays resident: the stored rows come back from the checkpoint and the
        // quantized ones from the page cache if read again; a backend that repacks the weight
        // reads them once.
        if (t.data().isMapped()) {
            t.data().unload();
        }
        out.unload();
        quantized.incrementAndGet();
        storedBytes.addAndGet(t.data().byteSize());
        quantizedBytes.addAndGet(out.byteSize());
        return new WeightTensor(name, type, Shape.of(rows, cols), out);
    }

    /**
     * {@code bytes} of a file mapped for writing, in the user's cache ({@code $XDG_CACHE_HOME} or
     * {@code ~/.cache}, {@code iris/quantized/}; the system's temporary directory where that cannot
     * be written) and deleted at once: the mapping keeps it until the source is closed, and its
     * pages can leave memory like a checkpoint's.
     */
    private MemorySegment scratchFile(long bytes) throws IOException {
        String cache = System.getenv("XDG_CACHE_HOME");
        Path dir = (cache == null || cache.isBlank() ? Path.of(System.getProperty("user.home"), ".cache")
                : Path.of(cache)).resolve("iris/quantized");
        Path file;
        try {
            Files.createDirectories(dir);
            file = Files.createTempFile(dir, "weight-", ".q");
        } catch (IOException e) {
            file = Files.createTempFile("iris-weight-", ".q");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
        } finally {
            Files.delete(file);
        }
    }

    /** The type weights are quantized to. */
    public DType type() {
        return type;
    }

    /** What was quantized so far, for the start-up log. */
    public String summary() {
        return String.format(Locale.ROOT, "%d language-model weights quantized to %s at load: %.1f MiB stored,"
                        + " %.1f MiB quantized", quantized.get(), type, storedBytes.get() / 1048576.0,
                quantizedBytes.get() / 1048576.0);
    }

    @Override
    public void close() throws IOException {
        arena.close();
        source.close();
    }
}
