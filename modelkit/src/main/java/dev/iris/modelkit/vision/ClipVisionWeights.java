package dev.iris.modelkit.vision;

import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightSource;
import dev.iris.api.tensor.WeightTensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A CLIP or SigLIP vision tower's weights under a prefix ({@code vision_tower.vision_model.} in
 * llava-hf checkpoints), each checked against the config; only the first {@code layersUsed}
 * encoder layers are mapped (LLaVA never runs the rest), {@code post_layernorm} never.
 */
public record ClipVisionWeights(Tensor patchEmbed, Tensor patchBias, Tensor classEmbedding, Tensor positionEmbedding,
                                Tensor preNorm, Tensor preNormBias, List<Layer> layers) {

    /** One pre-LN encoder layer. */
    public record Layer(Tensor norm1, Tensor norm1Bias, Tensor q, Tensor qBias, Tensor k, Tensor kBias, Tensor v,
                        Tensor vBias, Tensor o, Tensor oBias, Tensor norm2, Tensor norm2Bias, Tensor fc1, Tensor fc1Bias,
                        Tensor fc2, Tensor fc2Bias) {
    }

    public static ClipVisionWeights load(WeightSource source, ComputeBackend backend, String prefix, ClipVisionConfig c,
                                         int layersUsed) throws IOException {
        Loader l = new Loader(source, backend, prefix);
        int d = c.hidden();
        int pixels = 3 * c.patch() * c.patch();
        WeightTensor conv = source.get(prefix + "embeddings.patch_embedding.weight");
        Shape convShape = Shape.of(d, 3, c.patch(), c.patch());
        if (!conv.shape().equals(convShape)) {
            throw new IOException("tensor '" + conv.name() + "' has shape " + conv.shape() + ", the config implies " + convShape);
        }
        Tensor patchEmbed = backend.weight(new WeightTensor(conv.name(), conv.dtype(), Shape.of(d, pixels), conv.data()));
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < layersUsed; i++) {
            String p = "encoder.layers." + i + ".";
            layers.add(new Layer(l.get(p + "layer_norm1.weight", d), l.get(p + "layer_norm1.bias", d),
                    l.get(p + "self_attn.q_proj.weight", d, d), l.get(p + "self_attn.q_proj.bias", d),
                    l.get(p + "self_attn.k_proj.weight", d, d), l.get(p + "self_attn.k_proj.bias", d),
                    l.get(p + "self_attn.v_proj.weight", d, d), l.get(p + "self_attn.v_proj.bias", d),
                    l.get(p + "self_attn.out_proj.weight", d, d), l.get(p + "self_attn.out_proj.bias", d),
                    l.get(p + "layer_norm2.weight", d), l.get(p + "layer_norm2.bias", d),
                    l.get(p + "mlp.fc1.weight", c.intermediate(), d), l.get(p + "mlp.fc1.bias", c.intermediate()),
                    l.get(p + "mlp.fc2.weight", d, c.intermediate()), l.get(p + "mlp.fc2.bias", d)));
        }
        Tensor position = backend.fromFloats(backend.toFloats(l.get("embeddings.position_embedding.weight", c.tokens(), d)),
                Shape.of(c.tokens(), d));
        if (c.classToken()) {
            return new ClipVisionWeights(patchEmbed, null,
                    backend.fromFloats(backend.toFloats(l.get("embeddings.class_embedding", d)), Shape.of(1, d)), position,
                    l.get("pre_layrnorm.weight", d), l.get("pre_layrnorm.bias", d), List.copyOf(layers));
        }
        return new ClipVisionWeights(patchEmbed, l.get("embeddings.patch_embedding.bias", d), null, position, null, null,
                List.copyOf(layers));
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
