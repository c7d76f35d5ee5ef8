package dev.iris.model.mllama;

import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightSource;
import dev.iris.api.tensor.WeightTensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The vision encoder's and projector's weights (spec mllama.md §3.1–3.2), each checked against
 * the config's shape. The Conv2d patch embedding is taken as the {@code [hidden, 3·patch²]} matrix
 * it is; the small tables and gates are read to the host once.
 */
record MllamaVisionWeights(Tensor patchEmbed, Tensor classEmbedding, Tensor positionEmbedding, float positionGate,
                           Tensor tileEmbedding, Tensor preTile, float preTileGate, Tensor postTile, float postTileGate,
                           Tensor layernormPre, Tensor layernormPreBias, Tensor layernormPost, Tensor layernormPostBias,
                           List<Layer> local, List<Layer> global, Tensor projector, Tensor projectorBias) {

    /** One encoder layer; the gates are {@code tanh}ed already (1 for the local layers). */
    record Layer(Tensor norm1, Tensor norm1Bias, Tensor q, Tensor k, Tensor v, Tensor o, Tensor norm2, Tensor norm2Bias,
                 Tensor fc1, Tensor fc1Bias, Tensor fc2, Tensor fc2Bias, float attnGate, float ffnGate) {
    }

    static MllamaVisionWeights load(WeightSource source, ComputeBackend backend, MllamaVisionConfig c, int textHidden)
            throws IOException {
        String prefix = source.contains("vision_model.class_embedding") ? "vision_model." : "model.vision_model.";
        String projector = source.contains("multi_modal_projector.weight") ? "multi_modal_projector."
                : "model.multi_modal_projector.";
        Loader l = new Loader(source, backend);
        int d = c.hidden();
        int pixels = 3 * c.patch() * c.patch();
        int ratios = MllamaImageProcessor.layouts(c.maxTiles()).size() + 1; // row 0: no image
        WeightTensor conv = source.get(prefix + "patch_embedding.weight");
        Shape convShape = Shape.of(d, 3, c.patch(), c.patch());
        if (!conv.shape().equals(convShape)) {
            throw new IOException("tensor '" + conv.name() + "' has shape " + conv.shape() + ", the config implies " + convShape);
        }
        Tensor patchEmbed = backend.weight(new WeightTensor(conv.name(), conv.dtype(), Shape.of(d, pixels), conv.data()));
        String g = prefix + "gated_positional_embedding.";
        Tensor tileEmbedding = l.weight(g + "tile_embedding.weight", ratios, c.maxTiles() * c.tokens() * d);
        return new MllamaVisionWeights(patchEmbed, l.host(prefix + "class_embedding", d),
                l.host(g + "embedding", c.tokens(), d), l.gate(g + "gate"), tileEmbedding,
                l.weight(prefix + "pre_tile_positional_embedding.embedding.weight", ratios, c.maxTiles() * d),
                l.gate(prefix + "pre_tile_positional_embedding.gate"),
                l.weight(prefix + "post_tile_positional_embedding.embedding.weight", ratios, c.maxTiles() * d),
                l.gate(prefix + "post_tile_positional_embedding.gate"),
                l.weight(prefix + "layernorm_pre.weight", d), l.weight(prefix + "layernorm_pre.bias", d),
                l.weight(prefix + "layernorm_post.weight", d), l.weight(prefix + "layernorm_post.bias", d),
                layers(l, prefix + "transformer.layers.", c.layers(), c, false),
                layers(l, prefix + "global_transformer.layers.", c.globalLayers(), c, true),
                l.weight(projector + "weight", textHidden, c.outputDim()), l.weight(projector + "bias", textHidden));
    }

    private static List<Layer> layers(Loader l, String prefix, int count, MllamaVisionConfig c, boolean gated)
            throws IOException {
        int d = c.hidden();
        int m = c.intermediate();
        List<Layer> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String p = prefix + i + ".";
            out.add(new Layer(l.weight(p + "input_layernorm.weight", d), l.weight(p + "input_layernorm.bias", d),
                    l.weight(p + "self_attn.q_proj.weight", d, d), l.weight(p + "self_attn.k_proj.weight", d, d),
                    l.weight(p + "self_attn.v_proj.weight", d, d), l.weight(p + "self_attn.o_proj.weight", d, d),
                    l.weight(p + "post_attention_layernorm.weight", d), l.weight(p + "post_attention_layernorm.bias", d),
                    l.weight(p + "mlp.fc1.weight", m, d), l.weight(p + "mlp.fc1.bias", m),
                    l.weight(p + "mlp.fc2.weight", d, m), l.weight(p + "mlp.fc2.bias", d),
                    gated ? l.gate(p + "gate_attn") : 1f, gated ? l.gate(p + "gate_ffn") : 1f));
        }
        return out;
    }

    /** Reads tensors with their shapes checked: as backend weights, as host copies, or as gate values. */
    private record Loader(WeightSource source, ComputeBackend backend) {

        Tensor weight(String name, int... dims) throws IOException {
            WeightTensor t = source.get(name);
            if (!t.shape().equals(Shape.of(dims))) {
                throw new IOException("tensor '" + name + "' has shape " + t.shape() + ", the config implies "
                        + Shape.of(dims));
            }
            return backend.weight(t);
        }

        /** A small table as an F32 activation, for adds and concatenations. */
        Tensor host(String name, int... dims) throws IOException {
            return backend.fromFloats(backend.toFloats(weight(name, dims)), Shape.of(dims));
        }

        /** {@code tanh} of a one-element gate. */
        float gate(String name) throws IOException {
            return (float) Math.tanh(backend.toFloats(weight(name, 1))[0]);
        }
    }
}
