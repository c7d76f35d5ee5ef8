package dev.iris.model.llava;

import dev.iris.api.compute.Activation;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.Tensor;

/** The multi-modal projector (spec llava.md §5.4): {@code linear_2(gelu(linear_1(v)))}, exact GELU, both with bias. */
record LlavaProjector(ComputeBackend compute, Tensor w1, Tensor b1, Tensor w2, Tensor b2) {

    /** Vision states {@code [rows, visionHidden]} → language-model embeddings {@code [rows, hidden]}. */
    Tensor apply(Tensor states) {
        return compute.linear(compute.activation(compute.linear(states, w1, b1), Activation.GELU_ERF), w2, b2);
    }
}
