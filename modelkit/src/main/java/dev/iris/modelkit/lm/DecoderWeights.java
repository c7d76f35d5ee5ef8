package dev.iris.modelkit.lm;

import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightSource;
import dev.iris.api.tensor.WeightTensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoder's weights by their Hugging Face names under a prefix ({@code ""} for Qwen2-VL,
 * {@code "language_model."} for LLaVA checkpoints), each checked against the config's shape.
 *
 * @param embed     {@code model.embed_tokens.weight} [vocab, hidden]
 * @param layers    per layer, in order
 * @param finalNorm {@code model.norm.weight} [hidden]
 * @param lmHead    {@code lm_head.weight} [vocab, hidden], or the embedding when tied
 */
public record DecoderWeights(Tensor embed, List<Layer> layers, Tensor finalNorm, Tensor lmHead) {

    /** One layer's tensors; biases are null when the family has none. */
    public record Layer(Tensor inputNorm, Tensor q, Tensor qBias, Tensor k, Tensor kBias, Tensor v, Tensor vBias,
                        Tensor o, Tensor oBias, Tensor postNorm, Tensor gate, Tensor up, Tensor down) {
    }

    /**
     * Maps every tensor onto the backend.
     *
     * @throws IOException naming the tensor when one is missing or has another shape
     */
    public static DecoderWeights load(WeightSource source, ComputeBackend backend, String prefix, DecoderConfig c)
            throws IOException {
        Loader l = new Loader(source, backend, prefix);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            layers.add(layer(source, backend, prefix + "model.layers." + i + ".", c));
        }
        Tensor embed = l.get("model.embed_tokens.weight", c.vocab(), c.hidden());
        Tensor head = c.tiedEmbeddings() ? embed : l.get("lm_head.weight", c.vocab(), c.hidden());
        return new DecoderWeights(embed, List.copyOf(layers), l.get("model.norm.weight", c.hidden()), head);
    }

    /**
     * One self-attention layer's tensors under {@code prefix} (e.g. {@code "model.layers.3."}), for
     * families that stack these layers with their own (Mllama's cross-attention layers).
     *
     * @throws IOException naming the tensor when one is missing or has another shape
     */
    public static Layer layer(WeightSource source, ComputeBackend backend, String prefix, DecoderConfig c)
            throws IOException {
        Loader l = new Loader(source, backend, prefix);
        int q = c.heads() * c.headDim();
        int kv = c.kvHeads() * c.headDim();
        return new Layer(
                l.get("input_layernorm.weight", c.hidden()),
                l.get("self_attn.q_proj.weight", q, c.hidden()),
                c.qkvBias() ? l.get("self_attn.q_proj.bias", q) : null,
                l.get("self_attn.k_proj.weight", kv, c.hidden()),
                c.qkvBias() ? l.get("self_attn.k_proj.bias", kv) : null,
                l.get("self_attn.v_proj.weight", kv, c.hidden()),
                c.qkvBias() ? l.get("self_attn.v_proj.bias", kv) : null,
                l.get("self_attn.o_proj.weight", c.hidden(), q),
                c.outputBias() ? l.get("self_attn.o_proj.bias", c.hidden()) : null,
                l.get("post_attention_layernorm.weight", c.hidden()),
                l.get("mlp.gate_proj.weight", c.intermediate(), c.hidden()),
                l.get("mlp.up_proj.weight", c.intermediate(), c.hidden()),
                l.get("mlp.down_proj.weight", c.hidden(), c.intermediate()));
    }

    private record Loader(WeightSource source, ComputeBackend backend, String prefix) {
        Tensor get(String name, int... dims) throws IOException {
            WeightTensor t = source.get(prefix + name);
            if (!t.shape().equals(Shape.of(dims))) {
                throw new IOException("tensor '" + prefix + name + "' has shape " + t.shape() + ", the config implies "
                        + Shape.of(dims));
            }
            return backend.weight(t);
        }
    }
}
