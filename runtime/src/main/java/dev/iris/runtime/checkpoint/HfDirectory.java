package dev.iris.runtime.checkpoint;

import dev.iris.api.config.ConfigView;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.WeightSource;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.tokenizer.Tokenizer;
import dev.iris.runtime.weights.LoadProgress;
import dev.iris.runtime.weights.SafetensorsWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** A Hugging Face model directory: config.json, the safetensors, tokenizer.json and their companions. */
public final class HfDirectory {

    private HfDirectory() {
    }

    /**
     * Reads a model directory.
     *
     * @param configOverrides       JSON merged into config.json ({@code --json-model-override-args})
     * @param preprocessorOverrides JSON merged into preprocessor_config.json
     * @param tokenizerDir          the directory whose tokenizer files are used; null for the model's
     * @param skipTokenizer         load no tokenizer
     * @throws IOException naming the file that is missing or wrong
     */
    public static Checkpoint open(Path directory, String configOverrides, String preprocessorOverrides,
                                  Path tokenizerDir, boolean skipTokenizer, LoadProgress progress) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new IOException(directory + " is not a model directory");
        }
        ConfigView config = JsonConfigView.read(directory.resolve("config.json"), false)
                .withOverrides("--json-model-override-args", configOverrides);
        Path tokenizerFiles = tokenizerDir == null ? directory : tokenizerDir;
        Tokenizer tokenizer = skipTokenizer ? null : Tokenizer.load(tokenizerFiles.resolve("tokenizer.json"));
        Set<Integer> eos = eosIds(directory, config);
        ConfigView preprocessor = JsonConfigView.read(directory.resolve("preprocessor_config.json"), true)
                .withOverrides("the server's image settings", preprocessorOverrides);
        ConfigView tokenizerConfig = JsonConfigView.read(tokenizerFiles.resolve("tokenizer_config.json"), true);
        ConfigView chatTemplate = JsonConfigView.read(directory.resolve("chat_template.json"), true);
        WeightSource weights = SafetensorsWeights.open(directory, progress);
        return new Checkpoint(directory, config, preprocessor, tokenizerConfig, chatTemplate, tokenizer, eos, weights,
                "safetensors " + mainType(weights));
    }

    /** {@code eos_token_id} (a number or a list) of generation_config.json, config.json and its text_config. */
    static Set<Integer> eosIds(Path directory, ConfigView config) throws IOException {
        Set<Integer> ids = new LinkedHashSet<>();
        addEos(JsonConfigView.read(directory.resolve("generation_config.json"), true), ids);
        addEos(config, ids);
        config.object("text_config").ifPresent(t -> addEos(t, ids));
        return ids;
    }

    private static void addEos(ConfigView c, Set<Integer> ids) {
        c.integerOrIntegers("eos_token_id").ifPresent(l -> l.forEach(v -> ids.add(v.intValue())));
    }

    /** The element type holding most of the bytes. */
    private static DType mainType(WeightSource weights) throws IOException {
        Map<DType, Long> bytes = new EnumMap<>(DType.class);
        for (String name : weights.names()) {
            var t = weights.get(name);
            bytes.merge(t.dtype(), t.data().byteSize(), Long::sum);
        }
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(DType.F32);
    }
}
