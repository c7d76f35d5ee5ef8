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
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.plugin.PluginInfo;
import dev.iris.runtime.plugin.PluginKind;
import dev.iris.runtime.plugin.PluginRegistry;
import dev.iris.runtime.tokenizer.Tokenizer;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.QuantizingWeightSource;
import dev.iris.runtime.weights.SafetensorsWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A Hugging Face model directory made ready to serve: its family found among the plugins by
 * {@code config.json}'s {@code architectures}, its weights mapped onto the chosen device's
 * backends, its tokenizer and its end-of-sequence ids read. Closing it unmaps the weights.
 *
 * @param directory    the model directory
 * @param architecture the family plugin that built the model
 * @param model        the model
 * @param compute      the device's compute backend
 * @param attention    the device's attention backend
 * @param tokenizer    the directory's {@code tokenizer.json}; null when loaded without one
 * @param eosTokenIds  ids that end generation: {@code generation_config.json}'s and {@code config.json}'s
 * @param weights      the mapped checkpoint
 */
public record LoadedModel(Path directory, ModelArchitecture architecture, VisionLanguageModel model, ComputeBackend compute,
                          AttentionBackend attention, Tokenizer tokenizer, Set<Integer> eosTokenIds, WeightSource weights)
        implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LoadedModel.class.getName());

    /**
     * Loads a model directory.
     *
     * @param device the compute backend's name ({@code --device}: {@code cpu}, {@code cuda})
     * @throws IOException naming the file, key, tensor or plugin that is missing or wrong
     */
    public static LoadedModel load(Path directory, PluginRegistry plugins, String device, LoadProgress progress)
            throws IOException {
        return load(directory, plugins, device, Overrides.NONE, progress);
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
     */
    public record Overrides(String config, String preprocessor, Path tokenizer, boolean skipTokenizer,
                            DType quantization) {
        public static final Overrides NONE = new Overrides("{}", "{}", null, false, null);
    }

    /** Loads a model directory with operator overrides. */
    public static LoadedModel load(Path directory, PluginRegistry plugins, String device, Overrides overrides,
                                   LoadProgress progress) throws IOException {
        List<ModelArchitecture> families = plugins.ofKind(PluginKind.MODEL).stream()
                .map(p -> (ModelArchitecture) p.provider()).toList();
        ComputeBackend compute = plugins.find(ComputeBackend.class, device)
                .orElseThrow(() -> new IOException("no compute backend named '" + device + "' (installed: "
                        + names(plugins, PluginKind.COMPUTE_BACKEND) + ")"));
        AttentionBackend attention = plugins.ofKind(PluginKind.ATTENTION_BACKEND).stream().map(PluginInfo::provider)
                .map(AttentionBackend.class::cast).filter(a -> a.computeBackend().equals(device)).findFirst()
                .orElseThrow(() -> new IOException("no attention backend for the " + device + " compute backend"));
        return load(directory, families, compute, attention, overrides, progress);
    }

    /**
     * Loads a model directory with these families and backends (what {@link #load(Path,
     * PluginRegistry, String, LoadProgress)} takes from the plugins).
     */
    public static LoadedModel load(Path directory, List<ModelArchitecture> families, ComputeBackend compute,
                                   AttentionBackend attention, LoadProgress progress) throws IOException {
        return load(directory, families, compute, attention, Overrides.NONE, progress);
    }

    /** Loads a model directory with these families and backends and operator overrides. */
    public static LoadedModel load(Path directory, List<ModelArchitecture> families, ComputeBackend compute,
                                   AttentionBackend attention, Overrides overrides, LoadProgress progress)
            throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new IOException(directory + " is not a model directory");
        }
        ConfigView config = JsonConfigView.read(directory.resolve("config.json"), false)
                .withOverrides("--json-model-override-args", overrides.config());
        String archName = config.strings("architectures").filter(l -> !l.isEmpty()).map(List::getFirst)
                .orElseThrow(() -> new IOException(directory.resolve("config.json") + " names no architectures"));
        ModelArchitecture arch = families.stream().filter(a -> a.architectures().contains(archName)).findFirst()
                .orElseThrow(() -> new IOException("no model family plugin serves " + archName + " (installed: "
                        + (families.isEmpty() ? "none" : families.stream()
                        .map(f -> f.name() + " " + f.architectures()).collect(Collectors.joining(", "))) + ")"));
        arch.validate(config);
        if (!compute.isAvailable()) {
            throw new IOException("the " + compute.name() + " backend cannot run here: " + compute.unavailableReason());
        }
        Path tokenizerDir = overrides.tokenizer() == null ? directory : overrides.tokenizer();
        Tokenizer tokenizer = overrides.skipTokenizer() ? null : Tokenizer.load(tokenizerDir.resolve("tokenizer.json"));
        Set<Integer> eos = eosIds(directory, config);
        WeightSource weights = SafetensorsWeights.open(directory, progress);
        if (overrides.quantization() != null) {
            weights = new QuantizingWeightSource(weights, overrides.quantization());
        }
        try {
            ConfigView preprocessor = JsonConfigView.read(directory.resolve("preprocessor_config.json"), true)
                    .withOverrides("the server's image settings", overrides.preprocessor());
            VisionLanguageModel model = arch.load(new ModelContext(directory, config, preprocessor, weights, compute, attention));
            if (weights instanceof QuantizingWeightSource q) {
                LOG.log(System.Logger.Level.INFO, q.summary());
            }
            return new LoadedModel(directory, arch, model, compute, attention, tokenizer, eos, weights);
        } catch (IOException | RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** {@code eos_token_id} (a number or a list) of generation_config.json, config.json and its text_config. */
    static Set<Integer> eosIds(Path directory, ConfigView config) throws IOException {
        Set<Integer> ids = new LinkedHashSet<>();
        addEos(JsonConfigView.read(directory.resolve("generation_config.json"), true), ids);
        addEos(config, ids);
        config.object("text_config").ifPresent(t -> addEos(t, ids));
        return Set.copyOf(ids);
    }

    private static void addEos(ConfigView c, Set<Integer> ids) {
        c.integerOrIntegers("eos_token_id").ifPresent(l -> l.forEach(v -> ids.add(v.intValue())));
    }

    private static String names(PluginRegistry plugins, PluginKind kind) {
        String s = plugins.ofKind(kind).stream().map(PluginInfo::name).collect(Collectors.joining(", "));
        return s.isEmpty() ? "none" : s;
    }

    /** An engine over this model, decoding text with its tokenizer (special tokens as each request wants). */
    public Engine newEngine(Sampler sampler, EngineOptions options) {
        return new Engine(model, compute, attention, sampler, options, tokenizer == null ? null : tokenizer::decode);
    }

    @Override
    public void close() throws IOException {
        model.close();
        weights.close();
    }
}
