package dev.iris.api.model;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.config.ConfigView;
import dev.iris.api.tensor.WeightSource;

import java.nio.file.Path;

/**
 * Everything a family needs to build a model.
 *
 * @param modelDir     the checkpoint directory (for files the family reads itself)
 * @param config       {@code config.json}
 * @param preprocessor {@code preprocessor_config.json}, or an empty view when absent
 * @param weights      the checkpoint's tensors
 * @param compute      the backend the model runs on
 * @param attention    the attention backend for {@code compute}
 */
public record ModelContext(Path modelDir, ConfigView config, ConfigView preprocessor, WeightSource weights,
                           ComputeBackend compute, AttentionBackend attention) {
}
