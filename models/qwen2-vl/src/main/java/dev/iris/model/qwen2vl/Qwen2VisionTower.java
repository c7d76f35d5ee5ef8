package dev.iris.model.qwen2vl;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.compute.Activation;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.compute.RotaryLayout;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2VisionTransformer (spec qwen2-vl.md §5): the patch embedding as one matmul, blocks of
 * pre-norm attention with the 2-D rotary embedding (bidirectional within each temporal group)
 * and a quick-GELU MLP, then the PatchMerger that folds each 2×2 window into one language-model
 * embedding.
 */
final class Qwen2VisionTower {

    private static final float EPS = 1e-6f;
    private static final float ROPE_THETA = 10000f;

    private final Qwen2VisionConfig c;
    private final Qwen2VisionWeights w;
    private final ComputeBackend compute;
    private final AttentionBackend attention;

    Qwen2VisionTower(Qwen2VisionConfig c, Qwen2VisionWeights w, ComputeBackend compute, AttentionBackend attention) {
        this.c = c;
        this.w = w;
        this.compute = compute;
        this.attention = attention;
    }

    /** The image's embeddings for the language model, {@code [patches / 4, outDim]}. */
    Tensor encode(Qwen2VlImage image) {
        return merge(blocks(List.of(image)));
    }

    /**
     * Several images in one pass: their patches are stacked so every linear runs once over all of
     * them, and attention stays within each image's temporal groups (block-diagonal), so each
     * image's rows are what it alone would give. One tensor per image, in order.
     */
    List<Tensor> encode(List<Qwen2VlImage> images) {
        Tensor merged = merge(blocks(images));
        if (images.size() == 1) {
            return List.of(merged);
        }
        List<Tensor> out = new ArrayList<>();
        int row = 0;
        for (Qwen2VlImage image : images) {
            int[] rows = new int[image.promptTokens()];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = row + i;
            }
            out.add(compute.gatherRows(merged, rows)); // own memory: each image is cached on its own
            row += rows.length;
        }
        merged.close();
        return out;
    }

    /** The blocks' output, {@code [patches, embedDim]}: the images' patches in order, each in the processor's order. */
    Tensor blocks(List<Qwen2VlImage> images) {
        int patches = 0;
        int groupCount = 0;
        for (Qwen2VlImage image : images) {
            patches += image.gridT() * image.gridH() * image.gridW();
            groupCount += image.gridT();
        }
        float[] pixels = new float[patches * c.patchValues()];
        int[] groups = new int[groupCount]; // each temporal group of each image attends to itself
        int patch = 0;
        int group = 0;
        for (Qwen2VlImage image : images) {
            System.arraycopy(image.pixelValues(), 0, pixels, patch * c.patchValues(), image.pixelValues().length);
            for (int t = 0; t < image.gridT(); t++) {
                groups[group++] = patch;
                patch += image.gridH() * image.gridW();
            }
        }
        int d = c.embedDim();
        int hd = c.headDim();
        Tensor x = compute.linear(compute.fromFloats(pixels, Shape.of(patches, c.patchValues())), w.patchEmbed(), null);
        Tensor[] cosSin = rotaryTables(images, patches);
        float scale = (float) (1 / Math.sqrt(hd));
        for (Qwen2VisionWeights.Block b : w.blocks()) {
            Tensor h = compute.layerNorm(x, b.norm1(), b.norm1Bias(), EPS);
            Tensor qkv = compute.linear(h, b.qkv(), b.qkvBias());
            Shape heads = Shape.of(patches, c.heads(), hd);
            Tensor q = compute.rotary(compute.reshape(compute.slice(qkv, 1, 0, d), heads), cosSin[0], cosSin[1],
                    RotaryLayout.HALF);
            Tensor k = compute.rotary(compute.reshape(compute.slice(qkv, 1, d, 2 * d), heads), cosSin[0], cosSin[1],
                    RotaryLayout.HALF);
            Tensor v = compute.reshape(compute.slice(qkv, 1, 2 * d, 3 * d), heads);
            Tensor a = attention.blockDiagonalAttention(q, k, v, groups, null, scale);
            x = compute.add(x, compute.linear(compute.reshape(a, Shape.of(patches, d)), b.proj(), b.projBias()));
            h = compute.layerNorm(x, b.norm2(), b.norm2Bias(), EPS);
            Tensor f = compute.activation(compute.linear(h, b.fc1(), b.fc1Bias()), Activation.QUICK_GELU);
            x = compute.add(x, compute.linear(f, b.fc2(), b.fc2Bias()));
        }
        return x;
    }

    /** PatchMerger: LayerNorm, each 2×2 window's four rows side by side, MLP with exact GELU. */
    Tensor merge(Tensor x) {
        int patches = x.shape().dim(0);
        int window = c.merge() * c.merge();
        Tensor y = compute.layerNorm(x, w.mergerNorm(), w.mergerNormBias(), EPS);
        y = compute.reshape(y, Shape.of(patches / window, window * c.embedDim()));
        Tensor z = compute.activation(compute.linear(y, w.merger0(), w.merger0Bias()), Activation.GELU_ERF);
        return compute.linear(z, w.merger2(), w.merger2Bias());
    }

    /**
     * cos and sin, {@code [patches, headDim / 2]}: per patch its row angles then its column
     * angles within its own image, in float as torch computes them (spec §5.2).
     */
    private Tensor[] rotaryTables(List<Qwen2VlImage> images, int patches) {
        int dim = c.headDim() / 2; // VisionRotaryEmbedding(head_dim / 2)
        int half = dim / 2;
        float[] invFreq = new float[half];
        for (int j = 0; j < half; j++) {
            float exponent = (float) (2 * j) / dim;
            invFreq[j] = 1f / (float) Math.pow(ROPE_THETA, exponent);
        }
        int m = c.merge();
        float[] cos = new float[patches * dim];
        float[] sin = new float[patches * dim];
        int r = 0;
        for (Qwen2VlImage image : images) {
            int perGroup = image.gridH() * image.gridW();
            int windowsW = image.gridW() / m;
            for (int p = 0; p < image.gridT() * perGroup; p++, r++) {
                int inGroup = p % perGroup;
                int window = inGroup / (m * m);
                int within = inGroup % (m * m);
                int hpos = (window / windowsW) * m + within / m;
                int wpos = (window % windowsW) * m + within % m;
                for (int j = 0; j < dim; j++) {
                    float angle = j < half ? hpos * invFreq[j] : wpos * invFreq[j - half];
                    cos[r * dim + j] = (float) Math.cos(angle);
                    sin[r * dim + j] = (float) Math.sin(angle);
                }
            }
        }
        return new Tensor[]{compute.fromFloats(cos, Shape.of(patches, dim)), compute.fromFloats(sin, Shape.of(patches, dim))};
    }
}
