package dev.iris.modelkit.lm;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.KvCache;
import dev.iris.api.compute.Activation;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.compute.RotaryLayout;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;

/**
 * One pre-norm decoder layer, in the order the math happens:
 * {@code h += o(attention(rope(q(n(h))), rope(k(n(h))), v(n(h))))}, then
 * {@code h += down(silu(gate(n'(h))) ⊙ up(n'(h)))}.
 */
public final class DecoderLayer {

    private final DecoderConfig c;
    private final DecoderWeights.Layer w;
    private final int index;
    private final float scale;

    /** @param index the layer's index in the self-attention K/V cache */
    public DecoderLayer(DecoderConfig c, DecoderWeights.Layer w, int index) {
        this.c = c;
        this.w = w;
        this.index = index;
        this.scale = (float) (1 / Math.sqrt(c.headDim()));
    }

    /** Updates {@code h} ([tokens, hidden]) in place; {@code cos}/{@code sin} are the tokens' rotary tables. */
    public void forward(ComputeBackend b, AttentionBackend attention, Tensor h, Tensor cos, Tensor sin,
                        AttentionBatch batch, KvCache cache) {
        int tokens = h.shape().dim(0);
        Tensor x = b.rmsNorm(h, w.inputNorm(), (float) c.rmsEps());
        Tensor[] qkv = b.linears(x, new Tensor[]{w.q(), w.k(), w.v()}, new Tensor[]{w.qBias(), w.kBias(), w.vBias()});
        Tensor q = b.rotary(b.reshape(qkv[0], Shape.of(tokens, c.heads(), c.headDim())), cos, sin, RotaryLayout.HALF);
        Tensor k = b.rotary(b.reshape(qkv[1], Shape.of(tokens, c.kvHeads(), c.headDim())), cos, sin, RotaryLayout.HALF);
        Tensor v = b.reshape(qkv[2], Shape.of(tokens, c.kvHeads(), c.headDim()));
        Tensor attended = attention.selfAttention(cache, index, batch, q, k, v, scale);
        b.addInPlace(h, b.linear(b.reshape(attended, Shape.of(tokens, c.heads() * c.headDim())), w.o(), w.oBias()));

        Tensor m = b.rmsNorm(h, w.postNorm(), (float) c.rmsEps());
        Tensor act = b.gatedLinear(m, w.gate(), w.up(), Activation.SILU);
        b.addInPlace(h, b.linear(act, w.down(), null));
    }
}
