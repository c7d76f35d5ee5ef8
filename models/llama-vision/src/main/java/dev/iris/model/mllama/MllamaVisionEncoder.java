package dev.iris.model.mllama;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.compute.Activation;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * MllamaVisionModel and the projector (spec mllama.md §5), for one image at a time: all
 * {@code maxTiles} tiles run jointly (the image's own and all-zero ones), each tile's tokens
 * padded to a multiple of 8, through the local transformer (keeping some layers' inputs) and the
 * gated global one; the result per token is the global output and the kept states interleaved,
 * projected to the text model's width.
 */
final class MllamaVisionEncoder {

    private final MllamaVisionConfig c;
    private final MllamaVisionWeights w;
    private final ComputeBackend compute;
    private final AttentionBackend attention;

    MllamaVisionEncoder(MllamaVisionConfig c, MllamaVisionWeights w, ComputeBackend compute, AttentionBackend attention) {
        this.c = c;
        this.w = w;
        this.compute = compute;
        this.attention = attention;
    }

    /** The cross-attention states of one image: {@code [maxTiles · tokens, textHidden]}, tile-major. */
    Tensor encode(MllamaImage image) {
        return compute.linear(features(image), w.projector(), w.projectorBias());
    }

    /** The vision model's output, {@code [maxTiles · tokens, outputDim]} (spec §5 steps 1–13). */
    Tensor features(MllamaImage image) {
        int tiles = c.maxTiles();
        int d = c.hidden();
        int len = c.tokens();
        int padded = c.paddedTokens();
        int[] ar = {image.aspectRatioId()};

        // 1. Patch embedding of every tile (a tile beyond the image's own is all zeros).
        int plane = 3 * c.tile() * c.tile();
        List<Tensor> patches = new ArrayList<>();
        for (int t = 0; t < tiles; t++) {
            float[] pixels = t < image.numTiles() ? Arrays.copyOfRange(image.pixelValues(), t * plane, (t + 1) * plane)
                    : new float[plane];
            patches.add(compute.patchify(compute.fromFloats(pixels, Shape.of(3, c.tile(), c.tile())), c.patch()));
        }
        Tensor x = compute.linear(compute.concat(0, patches), w.patchEmbed(), null); // [tiles·patches, d]

        // 2. Pre-tile embedding, per tile, before the class token exists.
        Tensor preTile = compute.scale(compute.reshape(compute.embedding(w.preTile(), ar), Shape.of(tiles, d)),
                w.preTileGate());
        // 3. The class token first in every tile.
        List<Tensor> withClass = new ArrayList<>();
        for (int t = 0; t < tiles; t++) {
            Tensor tile = compute.add(compute.slice(x, 0, t * c.patches(), (t + 1) * c.patches()),
                    compute.reshape(compute.slice(preTile, 0, t, t + 1), Shape.of(d)));
            withClass.add(compute.reshape(w.classEmbedding(), Shape.of(1, d)));
            withClass.add(tile);
        }
        x = compute.concat(0, withClass); // [tiles·len, d]

        // 4. Gated position embedding: (1 − g)·pos on every tile, g·tile embedding of the layout.
        Tensor tileEmbedding = compute.reshape(compute.embedding(w.tileEmbedding(), ar), Shape.of(tiles * len, d));
        x = compute.reshape(compute.add(compute.reshape(x, Shape.of(tiles, len, d)),
                compute.scale(w.positionEmbedding(), 1 - w.positionGate())), Shape.of(tiles * len, d));
        x = compute.add(x, compute.scale(tileEmbedding, w.positionGate()));

        // 5–6. LayerNorm, then each tile padded with zero rows to a multiple of 8.
        x = compute.layerNorm(x, w.layernormPre(), w.layernormPreBias(), c.normEps());
        x = padTiles(x, tiles, len, padded);

        // 7. Real tokens see every token; padding tokens see only real ones.
        Tensor mask = mask(image.numTiles(), tiles, len, padded);

        // 8. Local transformer, keeping the residual stream after k layers for the listed k (0: its input).
        Map<Integer, Tensor> kept = new HashMap<>();
        for (int i = 0; i <= c.layers(); i++) {
            if (c.intermediateIndices().contains(i)) {
                kept.put(i, x);
            }
            if (i < c.layers()) {
                x = layer(x, w.local().get(i), mask);
            }
        }
        // 9–11. LayerNorm, post-tile embedding, gated global transformer.
        x = compute.layerNorm(x, w.layernormPost(), w.layernormPostBias(), c.normEps());
        Tensor postTile = compute.scale(compute.reshape(compute.embedding(w.postTile(), ar), Shape.of(tiles, d)),
                w.postTileGate());
        x = addPerTile(x, postTile, tiles, padded);
        for (MllamaVisionWeights.Layer layer : w.global()) {
            x = layer(x, layer, mask);
        }

        // 12–13. Padding rows out; the kept states interleaved after the global output (feature d·K + k).
        int[] real = realRows(tiles, len, padded);
        List<Tensor> states = new ArrayList<>();
        for (int i : c.intermediateIndices()) {
            Tensor state = kept.get(i);
            states.add(compute.reshape(compute.gatherRows(state, real), Shape.of(real.length, 1, d)));
        }
        int k = states.size();
        Tensor interleaved = compute.reshape(compute.transpose(compute.concat(1, states), 1, 2),
                Shape.of(real.length, d * k));
        return compute.concat(1, List.of(compute.gatherRows(x, real), interleaved));
    }

    /** A pre-norm encoder layer: {@code h + gate·Attn(LN1(h))}, then {@code h + gate·MLP(LN2(h))}. */
    private Tensor layer(Tensor x, MllamaVisionWeights.Layer l, Tensor mask) {
        int n = x.shape().dim(0);
        Shape heads = Shape.of(n, c.heads(), c.headDim());
        Tensor h = compute.layerNorm(x, l.norm1(), l.norm1Bias(), c.normEps());
        Tensor q = compute.reshape(compute.linear(h, l.q(), null), heads);
        Tensor k = compute.reshape(compute.linear(h, l.k(), null), heads);
        Tensor v = compute.reshape(compute.linear(h, l.v(), null), heads);
        Tensor a = attention.blockDiagonalAttention(q, k, v, new int[]{0}, mask, (float) (1 / Math.sqrt(c.headDim())));
        Tensor attn = compute.linear(compute.reshape(a, Shape.of(n, c.hidden())), l.o(), null);
        x = compute.add(x, l.attnGate() == 1f ? attn : compute.scale(attn, l.attnGate()));
        h = compute.layerNorm(x, l.norm2(), l.norm2Bias(), c.normEps());
        Tensor f = compute.linear(compute.activation(compute.linear(h, l.fc1(), l.fc1Bias()), Activation.GELU_ERF),
                l.fc2(), l.fc2Bias());
        return compute.add(x, l.ffnGate() == 1f ? f : compute.scale(f, l.ffnGate()));
    }

    /** {@code [tiles·len, d]} → {@code [tiles·padded, d]}, zero rows after each tile's own. */
    private Tensor padTiles(Tensor x, int tiles, int len, int padded) {
        Tensor zeros = compute.zeros(DType.F32, Shape.of(padded - len, c.hidden()));
        List<Tensor> parts = new ArrayList<>();
        for (int t = 0; t < tiles; t++) {
            parts.add(compute.slice(x, 0, t * len, (t + 1) * len));
            if (padded > len) {
                parts.add(zeros);
            }
        }
        return compute.concat(0, parts);
    }

    /** Row {@code t} of {@code perTile} added to every row of tile {@code t}. */
    private Tensor addPerTile(Tensor x, Tensor perTile, int tiles, int rows) {
        List<Tensor> parts = new ArrayList<>();
        for (int t = 0; t < tiles; t++) {
            parts.add(compute.add(compute.slice(x, 0, t * rows, (t + 1) * rows),
                    compute.reshape(compute.slice(perTile, 0, t, t + 1), Shape.of(c.hidden()))));
        }
        return compute.concat(0, parts);
    }

    /**
     * HF's encoder mask (spec §5.7): a token is padding when its tile is beyond the image's or its
     * slot is past the tile's tokens; two padding tokens never see each other, everything else does.
     */
    private Tensor mask(int ownTiles, int tiles, int len, int padded) {
        int n = tiles * padded;
        boolean[] pad = new boolean[n];
        for (int i = 0; i < n; i++) {
            pad[i] = i / padded >= ownTiles || i % padded >= len;
        }
        float[] m = new float[n * n];
        for (int i = 0; i < n; i++) {
            if (pad[i]) {
                for (int j = 0; j < n; j++) {
                    if (pad[j]) {
                        m[i * n + j] = Float.NEGATIVE_INFINITY;
                    }
                }
            }
        }
        return compute.fromFloats(m, Shape.of(n, n));
    }

    private static int[] realRows(int tiles, int len, int padded) {
        int[] rows = new int[tiles * len];
        for (int t = 0; t < tiles; t++) {
            for (int p = 0; p < len; p++) {
                rows[t * len + p] = t * padded + p;
            }
        }
        return rows;
    }
}
