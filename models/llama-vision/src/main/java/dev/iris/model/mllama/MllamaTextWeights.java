package dev.iris.model.mllama;

import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightSource;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.modelkit.lm.DecoderConfig;
import dev.iris.modelkit.lm.DecoderWeights;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The text model's weights (spec mllama.md §3.3): the embedding with the 8 extra rows, the
 * self-attention layers as modelkit's decoder layers, the cross-attention layers, the final norm
 * and the separate LM head. Accepts the old ({@code language_model.model.*}) and the new
 * ({@code model.language_model.*}) names.
 *
 * @param layers per layer of the full stack: a {@link DecoderWeights.Layer} or a {@link Cross}
 */
record MllamaTextWeights(Tensor embed, List<Object> layers, Tensor finalNorm, Tensor lmHead) {

    /** A cross-attention layer's tensors; the gates are {@code tanh}ed already. */
    record Cross(Tensor inputNorm, Tensor q, Tensor k, Tensor v, Tensor o, Tensor qNorm, Tensor kNorm, float attnGate,
                 Tensor postNorm, Tensor gate, Tensor up, Tensor down, float mlpGate) {
    }

    static MllamaTextWeights load(WeightSource source, ComputeBackend backend, MllamaTextConfig config) throws IOException {
        boolean old = source.contains("language_model.model.embed_tokens.weight");
        String model = old ? "language_model.model." : "model.language_model.";
        String head = old ? "language_model.lm_head.weight" : "lm_head.weight";
        DecoderConfig c = config.decoder();
        List<Object> layers = new ArrayList<>();
        for (int i = 0; i < config.totalLayers(); i++) {
            String p = model + "layers." + i + ".";
            layers.add(config.isCross(i) ? cross(source, backend, p, c) : DecoderWeights.layer(source, backend, p, c));
        }
        WeightTensor embed = source.get(model + "embed_tokens.weight");
        if (embed.shape().rank() != 2 || embed.shape().dim(0) < c.vocab() || embed.shape().dim(1) != c.hidden()) {
            throw new IOException("tensor '" + embed.name() + "' has shape " + embed.shape() + ", the config implies ["
                    + c.vocab() + " + extra rows, " + c.hidden() + "]");
        }
        return new MllamaTextWeights(backend.weight(embed), List.copyOf(layers),
                get(source, backend, model + "norm.weight", c.hidden()), get(source, backend, head, c.vocab(), c.hidden()));
    }

    private static Cross cross(WeightSource s, ComputeBackend b, String p, DecoderConfig c) throws IOException {
        int q = c.heads() * c.headDim();
        int kv = c.kvHeads() * c.headDim();
        return new Cross(get(s, b, p + "input_layernorm.weight", c.hidden()),
                get(s, b, p + "cross_attn.q_proj.weight", q, c.hidden()),
                get(s, b, p + "cross_attn.k_proj.weight", kv, c.hidden()),
                get(s, b, p + "cross_attn.v_proj.weight", kv, c.hidden()),
                get(s, b, p + "cross_attn.o_proj.weight", c.hidden(), q),
                get(s, b, p + "cross_attn.q_norm.weight", c.headDim()),
                get(s, b, p + "cross_attn.k_norm.weight", c.headDim()),
                gate(s, b, p + "cross_attn_attn_gate"),
                get(s, b, p + "post_attention_layernorm.weight", c.hidden()),
                get(s, b, p + "mlp.gate_proj.weight", c.intermediate(), c.hidden()),
                get(s, b, p + "mlp.up_proj.weight", c.intermediate(), c.hidden()),
                get(s, b, p + "mlp.down_proj.weight", c.hidden(), c.intermediate()),
                gate(s, b, p + "cross_attn_mlp_gate"));
    }

    private static Tensor get(WeightSource source, ComputeBackend backend, String name, int... dims) throws IOException {
        WeightTensor t = source.get(name);
        if (!t.shape().equals(Shape.of(dims))) {
            throw new IOException("tensor '" + name + "' has shape " + t.shape() + ", the config implies " + Shape.of(dims));
        }
        return backend.weight(t);
    }

    private static float gate(WeightSource source, ComputeBackend backend, String name) throws IOException {
        return (float) Math.tanh(backend.toFloats(get(source, backend, name, 1))[0]);
    }
}
