package dev.iris.model.qwen2vl;

import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightSource;
import dev.iris.api.tensor.WeightTensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The vision tower's weights ({@code visual.*}, spec qwen2-vl.md §2.2), each checked against the
 * config's shape; the Conv3d patch embedding is taken as the {@code [embedDim, 3·2·14·14]} matrix it is.
 */
record Qwen2VisionWeights(Tensor patchEmbed, List<Block> blocks, Tensor mergerNorm, Tensor mergerNormBias,
                          Tensor merger0, Tensor merger0Bias, Tensor merger2, Tensor merger2Bias) {

    record Block(Tensor norm1, Tensor norm1Bias, Tensor qkv, Tensor qkvBias, Tensor proj, Tensor projBias,
                 Tensor norm2, Tensor norm2Bias, Tensor fc1, Tensor fc1Bias, Tensor fc2, Tensor fc2Bias) {
    }

    static Qwen2VisionWeights load(WeightSource source, ComputeBackend backend, Qwen2VisionConfig c) throws IOException {
        String prefix = source.contains("visual.patch_embed.proj.weight") ? "visual." : "model.visual.";
        int d = c.embedDim();
        int mlp = d * c.mlpRatio();
        int merged = d * c.merge() * c.merge();
        WeightTensor conv = source.get(prefix + "patch_embed.proj.weight");
        Shape convShape = Shape.of(d, 3, c.temporal(), c.patch(), c.patch());
        if (!conv.shape().equals(convShape)) {
            throw new IOException("tensor '" + conv.name() + "' has shape " + conv.shape() + ", the config implies " + convShape);
        }
        Tensor patchEmbed = backend.weight(new WeightTensor(conv.name(), conv.dtype(), Shape.of(d, c.patchValues()),
                conv.data()));
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < c.depth(); i++) {
            String p = prefix + "blocks." + i + ".";
            blocks.add(new Block(get(source, backend, p + "norm1.weight", d), get(source, backend, p + "norm1.bias", d),
                    get(source, backend, p + "attn.qkv.weight", 3 * d, d), get(source, backend, p + "attn.qkv.bias", 3 * d),
                    get(source, backend, p + "attn.proj.weight", d, d), get(source, backend, p + "attn.proj.bias", d),
                    get(source, backend, p + "norm2.weight", d), get(source, backend, p + "norm2.bias", d),
                    get(source, backend, p + "mlp.fc1.weight", mlp, d), get(source, backend, p + "mlp.fc1.bias", mlp),
                    get(source, backend, p + "mlp.fc2.weight", d, mlp), get(source, backend, p + "mlp.fc2.bias", d)));
        }
        String m = prefix + "merger.";
        return new Qwen2VisionWeights(patchEmbed, blocks, get(source, backend, m + "ln_q.weight", d),
                get(source, backend, m + "ln_q.bias", d), get(source, backend, m + "mlp.0.weight", merged, merged),
                get(source, backend, m + "mlp.0.bias", merged), get(source, backend, m + "mlp.2.weight", c.outDim(), merged),
                get(source, backend, m + "mlp.2.bias", c.outDim()));
    }

    private static Tensor get(WeightSource source, ComputeBackend backend, String name, int... dims) throws IOException {
        WeightTensor t = source.get(name);
        if (!t.shape().equals(Shape.of(dims))) {
            throw new IOException("tensor '" + name + "' has shape " + t.shape() + ", the config implies " + Shape.of(dims));
        }
        return backend.weight(t);
    }
}
