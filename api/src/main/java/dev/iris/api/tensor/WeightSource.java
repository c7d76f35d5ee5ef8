package dev.iris.api.tensor;

import java.io.IOException;
import java.util.Set;

/**
 * The tensors of a checkpoint, by name (one {@code model.safetensors} or the shards named by
 * {@code model.safetensors.index.json}). Model plugins read their weights from here and hand
 * them to {@link dev.iris.api.compute.ComputeBackend#weight(WeightTensor)}.
 *
 * <p>Closing the source unmaps the files: every {@link WeightTensor} it returned, and every
 * backend tensor that wraps one without copying, becomes invalid.
 */
public interface WeightSource extends AutoCloseable {

    /** Every tensor name in the checkpoint. */
    Set<String> names();

    /** True when the checkpoint has a tensor of this name. */
    default boolean contains(String name) {
        return names().contains(name);
    }

    /**
     * The tensor of this name.
     *
     * @throws IOException naming the tensor (and its file) when it is absent or unreadable
     */
    WeightTensor get(String name) throws IOException;

    @Override
    void close() throws IOException;
}
