package dev.iris.runtime.model;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.model.ModelContext;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.api.sampling.Sampler;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.WeightSource;
import dev.iris.runtime.checkpoint.Checkpoint;
import dev.iris.runtime.checkpoint.HfDirectory;
import dev.iris.runtime.gguf.GgufCheckpoint;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.plugin.PluginInfo;
import dev.iris.runtime.plugin.PluginKind;
import dev.iris.runtime.plugin.PluginRegistry;
import dev.iris.runtime.tokenizer.Tokenizer;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.QuantizingWeightSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A model made ready to serve: its checkpoint read (a Hugging Face directory, or llama.cpp's GGUF
 * files), its family found among the plugins by the config's {@code architectures}, its weights
 * mapped onto the chosen device's backends. Closing it unmaps the weights.
 *
 * @param checkpoint   what the model was read from: config, tokenizer files, weights
 * @param architecture the family plugin that built the model
 * @param model        the model
 * @param compute      the device's compute backend
 * @param attention    the device's attention backend
 * @param weights      the checkpoint's tensors, quantized at load when asked ({@code --quantization})
 */
public record LoadedModel(Checkpoint checkpoint, ModelArchitecture architecture, VisionLanguageModel model,
                          ComputeBackend compute, AttentionBackend attention, WeightSource weights)
        implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LoadedModel.class.getName());

    /**
     * Loads a model directory or GGUF file.
     *
     * @param device the compute backend's name ({@code --device}: {@code cpu}, {@code cuda})
     * @throws IOException naming the file, key, tensor or plugin that is missing or wrong
     */
    public static LoadedModel load(Path path, PluginRegistry plugins, String device, LoadProgress progress)
            throws IOException {
        return load(path, plugins, device, Overrides.NONE, progress);
    }

    /**
     * What an operator changes of a checkpoint at start-up.
     *
     * @param config       JSON object merged into config.json ({@code --json-model-override-args})
     * @param preprocessor JSON object merged into preprocessor_config.json (e.g. {@code --max-pixels})
     * @param tokenizer    the directory with tokenizer.json ({@code --tokenizer-path}); null for the model's
     * @param skipTokenizer  load no tokenizer ({@code --skip-tokenizer-init}): token ids in and out only
     * @param quantization the type the language model's linear weights are quantized to at load
     *                     ({@code --quantization}; one of {@link QuantizingWeightSource#TYPES}), or null
     * @param mmproj       the vision projector GGUF that goes with a text GGUF ({@code --mmproj}), or null
     */
    public record Overrides(String config, String preprocessor, Path tokenizer, boolean skipTokenizer,
                            DType quantization, Path mmproj) {
        public static final Overrides NONE = new Overrides("{}", "{}", null, false, null, null);
    }

    /** Loads a model directory or GGUF file with operator overrides. */
    public static LoadedModel load(Path path, PluginRegistry plugins, String device, Overrides overrides,
                                   LoadProgress progress) throws IOException {
        List<ModelArchitecture> families = plugins.ofKind(PluginKind.MODEL).stream()
                .map(p -> (ModelArchitecture) p.provider()).toList();
        ComputeBackend compute = plugins.find(ComputeBackend.class, device)
                .orElseThrow(() -> new IOException("no compute backend named '" + device + "' (installed: "
                        + names(plugins, PluginKind.COMPUTE_BACKEND) + ")"));
        AttentionBackend attention = plugins.ofKind(PluginKind.ATTENTION_BACKEND).stream().map(PluginInfo::provider)
                .map(AttentionBackend.class::cast).filter(a -> a.computeBackend().equals(device)).findFirst()
                .orElseThrow(() -> new IOException("no attention backend for the " + device + " compute backend"));
        return load(path, families, compute, attention, overrides, progress);
    }

    /**
     * Loads a model directory or GGUF file with these families and backends (what {@link #load(Path,
     * PluginRegistry, String, LoadProgress)} takes from the plugins).
     */
    public static LoadedModel load(Path path, List<ModelArchitecture> families, ComputeBackend compute,
                                   AttentionBackend attention, LoadProgress progress) throws IOException {
        return load(path, families, compute, attention, Overrides.NONE, progress);
    }

    /** Loads a model directory or GGUF file with these families and backends and operator overrides. */
    public static LoadedModel load(Path path, List<ModelArchitecture> families, ComputeBackend compute,
                                   AttentionBackend attention, Overrides overrides, LoadProgress progress)
            throws IOException {
        boolean gguf = GgufCheckpoint.isGguf(path);
        if (overrides.mmproj() != null && !gguf) {
            throw new IOException("--mmproj goes with a GGUF --model-path; " + path + " is not a GGUF file");
        }
        Checkpoint checkpoint = gguf
                ? GgufCheckpoint.open(path, overrides.mmproj(), overrides.config(), overrides.preprocessor(),
                overrides.tokenizer(), overrides.skipTokenizer(), progress)
                : HfDirectory.open(path, overrides.config(), overrides.preprocessor(), overrides.tokenizer(),
                overrides.skipTokenizer(), progress);
        WeightSource weights = checkpoint.weights();
        try {
            ConfigView config = checkpoint.config();
            String archName = config.strings("architectures").filter(l -> !l.isEmpty()).map(List::getFirst)
                    .orElseThrow(() -> new IOException(config.source() + " names no architectures"));
            ModelArchitecture arch = families.stream().filter(a -> a.architectures().contains(archName)).findFirst()
                    .orElseThrow(() -> new IOException("no model family plugin serves " + archName + " (installed: "
                            + (families.isEmpty() ? "none" : families.stream()
                            .map(f -> f.name() + " " + f.architectures()).collect(Collectors.joining(", "))) + ")"));
            arch.validate(config);
            if (!compute.isAvailable()) {
                throw new IOException("the " + compute.name() + " backend cannot run here: " + compute.unavailableReason());
            }
            if (overrides.quantization() != null) {
                weights = new QuantizingWeightSource(weights, overrides.quantization());
            }
            VisionLanguageModel model = arch.load(new ModelContext(checkpoint.path(), config, checkpoint.preprocessor(),
                    weights, compute, attention));
            LOG.log(System.Logger.Level.INFO, "Weights: " + checkpoint.weightFormat()
                    + (weights instanceof QuantizingWeightSource q ? "; " + q.summary() : ""));
            return new LoadedModel(checkpoint, arch, model, compute, attention, weights);
        } catch (IOException | RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** The tokenizer; null when loaded without one. */
    public Tokenizer tokenizer() {
        return checkpoint.tokenizer();
    }

    /** Ids that end generation: generation_config.json's and config.json's, or the GGUF's. */
    public Set<Integer> eosTokenIds() {
        return checkpoint.eosTokenIds();
    }

    /** How the weights are stored, and what was quantized at load. */
    public String weightFormat() {
        return checkpoint.weightFormat() + (weights instanceof QuantizingWeightSource q
                ? ", language model quantized to " + q.type() + " at load" : "");
    }

    private static String names(PluginRegistry plugins, PluginKind kind) {
        String s = plugins.ofKind(kind).stream().map(PluginInfo::name).collect(Collectors.joining(", "));
        return s.isEmpty() ? "none" : s;
    }

    /** An engine over this model, decoding text with its tokenizer (special tokens as each request wants). */
    public Engine newEngine(Sampler sampler, EngineOptions options) {
        Tokenizer tokenizer = tokenizer();
        return new Engine(model, compute, attention, sampler, options, tokenizer == null ? null : tokenizer::decode);
    }

    @Override
    public void close() throws IOException {
        model.close();
        weights.close();
    }
}
