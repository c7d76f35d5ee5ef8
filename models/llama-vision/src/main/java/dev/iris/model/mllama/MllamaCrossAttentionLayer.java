package dev.iris.model.mllama;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.KvCache;
import dev.iris.api.compute.Activation;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.modelkit.lm.DecoderConfig;

/**
 * A cross-attention decoder layer (spec mllama.md §7.4), in the order the math happens:
 * {@code h += tanh(g_attn)·o(attend(q_norm(q(n(h))), cached k_norm(k(V)), v(V)))}, then
 * {@code h += tanh(g_mlp)·(r ⊙ down(silu(gate(n'(h))) ⊙ up(n'(h))))}, where {@code r} is 0 for the
 * rows that read no image. The image states' K and V are computed once, when a sequence's images
 * arrive, and kept in its encoder pages.
 */
final class MllamaCrossAttentionLayer {

    private final DecoderConfig c;
    private final MllamaTextWeights.Cross w;
    private final int index;
    private final float scale;

    /** @param index the layer's index among the cross-attention layers (its encoder-cache layer) */
    MllamaCrossAttentionLayer(DecoderConfig c, MllamaTextWeights.Cross w, int index) {
        this.c = c;
        this.w = w;
        this.index = index;
        this.scale = (float) (1 / Math.sqrt(c.headDim()));
    }

    /** K and V of new image states {@code [rows, hidden]}: {@code [rows, kvHeads, headDim]} each, K normed per head. */
    Tensor[] keysAndValues(ComputeBackend b, Tensor states) {
        int rows = states.shape().dim(0);
        Tensor k = b.rmsNorm(b.reshape(b.linear(states, w.k(), null), Shape.of(rows * c.kvHeads(), c.headDim())),
                w.kNorm(), (float) c.rmsEps());
        Tensor v = b.linear(states, w.v(), null);
        Shape heads = Shape.of(rows, c.kvHeads(), c.headDim());
        return new Tensor[]{b.reshape(k, heads), b.reshape(v, heads)};
    }

    int index() {
        return index;
    }

    /**
     * Updates {@code h} ([tokens, hidden]) in place.
     *
     * @param mask     additive {@code [tokens, encoder rows]} visibility
     * @param readsNone rows whose MLP branch is dropped (they read no image)
     */
    void forward(ComputeBackend b, AttentionBackend attention, Tensor h, AttentionBatch batch, KvCache encoderCache,
                 Tensor mask, boolean[] readsNone) {
        int tokens = h.shape().dim(0);
        Tensor x = b.rmsNorm(h, w.inputNorm(), (float) c.rmsEps());
        Tensor q = b.rmsNorm(b.reshape(b.linear(x, w.q(), null), Shape.of(tokens * c.heads(), c.headDim())), w.qNorm(),
                (float) c.rmsEps());
        Tensor attended = attention.crossAttention(encoderCache, index, batch,
                b.reshape(q, Shape.of(tokens, c.heads(), c.headDim())), mask, scale);
        Tensor o = b.linear(b.reshape(attended, Shape.of(tokens, c.heads() * c.headDim())), w.o(), null);
        b.addInPlace(h, b.scale(o, w.attnGate()));

        Tensor m = b.rmsNorm(h, w.postNorm(), (float) c.rmsEps());
        Tensor mlp = b.linear(b.gatedLinear(m, w.gate(), w.up(), Activation.SILU),
                w.down(), null);
        zeroRows(b, mlp, readsNone);
        b.addInPlace(h, b.scale(mlp, w.mlpGate()));
    }

    /** Zeroes the flagged rows, run by run. */
    private static void zeroRows(ComputeBackend b, Tensor x, boolean[] rows) {
        for (int r = 0; r < rows.length; ) {
            if (!rows[r]) {
                r++;
                continue;
            }
            int end = r;
            while (end < rows.length && rows[end]) {
                end++;
            }
            b.copyRowsInPlace(b.zeros(DType.F32, Shape.of(end - r, x.shape().dim(1))), 0, x, r, end - r);
            r = end;
        }
    }
}
