package dev.iris.modelkit.vision;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The CLIP / SigLIP vision transformer (spec llava.md §5): patch embedding as a matmul (plus
 * SigLIP's bias), CLIP's class token first, position embeddings, CLIP's pre-LayerNorm, then
 * pre-LN layers — {@code x += o(attn(LN1 x))}, {@code x += fc2(act(fc1(LN2 x)))} — with full
 * attention within each image. Returns the residual stream after the mapped layers (LLaVA's
 * selected {@code hidden_states} entry).
 */
public final class ClipVisionEncoder {

    private final ClipVisionConfig c;
    private final ClipVisionWeights w;
    private final ComputeBackend compute;
    private final AttentionBackend attention;

    public ClipVisionEncoder(ClipVisionConfig c, ClipVisionWeights w, ComputeBackend compute, AttentionBackend attention) {
        this.c = c;
        this.w = w;
        this.compute = compute;
        this.attention = attention;
    }

    public ClipVisionConfig config() {
        return c;
    }

    /**
     * Encodes crops of {@code [3, imageSize, imageSize]} values each (any number, together): the
     * stream after the mapped layers, {@code [crops · tokens, hidden]}, crop after crop.
     */
    public Tensor encode(List<float[]> crops) {
        int d = c.hidden();
        int tokens = c.tokens();
        List<Tensor> embedded = new ArrayList<>();
        int covered = c.imageSize() / c.patch() * c.patch(); // a stride-p conv ignores the last imageSize % p pixels
        for (float[] crop : crops) {
            float[] input = covered == c.imageSize() ? crop : topLeft(crop, c.imageSize(), covered);
            Tensor patches = compute.linear(compute.patchify(compute.fromFloats(input, Shape.of(3, covered, covered)),
                    c.patch()), w.patchEmbed(), w.patchBias());
            Tensor x = c.classToken() ? compute.concat(0, List.of(w.classEmbedding(), patches)) : patches;
            embedded.add(compute.add(x, w.positionEmbedding()));
        }
        Tensor x = embedded.size() == 1 ? embedded.getFirst() : compute.concat(0, embedded);
        if (c.classToken()) {
            x = compute.layerNorm(x, w.preNorm(), w.preNormBias(), c.eps());
        }
        int rows = crops.size() * tokens;
        int[] blocks = new int[crops.size()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = i * tokens; // each crop attends to itself
        }
        float scale = (float) (1 / Math.sqrt(c.headDim()));
        Shape heads = Shape.of(rows, c.heads(), c.headDim());
        for (ClipVisionWeights.Layer l : w.layers()) {
            Tensor h = compute.layerNorm(x, l.norm1(), l.norm1Bias(), c.eps());
            Tensor q = compute.reshape(compute.linear(h, l.q(), l.qBias()), heads);
            Tensor k = compute.reshape(compute.linear(h, l.k(), l.kBias()), heads);
            Tensor v = compute.reshape(compute.linear(h, l.v(), l.vBias()), heads);
            Tensor a = attention.blockDiagonalAttention(q, k, v, blocks, null, scale);
            x = compute.add(x, compute.linear(compute.reshape(a, Shape.of(rows, d)), l.o(), l.oBias()));
            h = compute.layerNorm(x, l.norm2(), l.norm2Bias(), c.eps());
            Tensor f = compute.activation(compute.linear(h, l.fc1(), l.fc1Bias()), c.activation());
            x = compute.add(x, compute.linear(f, l.fc2(), l.fc2Bias()));
        }
        return x;
    }

    /** The top-left {@code n × n} of each channel of a {@code [3, size, size]} image. */
    private static float[] topLeft(float[] image, int size, int n) {
        float[] out = new float[3 * n * n];
        for (int ch = 0; ch < 3; ch++) {
            for (int y = 0; y < n; y++) {
                System.arraycopy(image, (ch * size + y) * size, out, (ch * n + y) * n, n);
            }
        }
        return out;
    }
}
