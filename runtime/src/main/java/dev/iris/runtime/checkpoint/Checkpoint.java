package dev.iris.runtime.checkpoint;

import dev.iris.api.config.ConfigView;
import dev.iris.api.tensor.WeightSource;
import dev.iris.runtime.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Set;

/**
 * What a model is read from, in the shape the model families and the server read it, whatever
 * the files were: a Hugging Face directory, or llama.cpp's GGUF files (whose metadata says the
 * same things under other names).
 *
 * @param path            the model directory, or the text model's GGUF file
 * @param config          {@code config.json} (or its GGUF equivalent), operator overrides applied
 * @param preprocessor    {@code preprocessor_config.json} (or its equivalent), overrides applied
 * @param tokenizerConfig {@code tokenizer_config.json}: the chat template and special tokens
 * @param chatTemplate    {@code chat_template.json}; empty when absent
 * @param tokenizer       the tokenizer; null when loaded without one ({@code --skip-tokenizer-init})
 * @param eosTokenIds     ids that end generation
 * @param weights         the tensors under their Hugging Face names
 * @param weightFormat    how the weights are stored, for people: {@code safetensors BF16}, {@code GGUF Q4_K_M}
 */
public record Checkpoint(Path path, ConfigView config, ConfigView preprocessor, ConfigView tokenizerConfig,
                         ConfigView chatTemplate, Tokenizer tokenizer, Set<Integer> eosTokenIds, WeightSource weights,
                         String weightFormat) {

    public Checkpoint {
        eosTokenIds = Set.copyOf(eosTokenIds);
    }

    /** The name a template source may recognise the model by (the directory's or file's name). */
    public String name() {
        return path.getFileName() == null ? path.toString() : path.getFileName().toString();
    }
}
