package dev.iris.modelkit.lm;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.KvCache;
import dev.iris.api.attention.KvCacheSpec;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.Positions;
import dev.iris.api.model.SequenceInput;
import dev.iris.api.tensor.Tensor;
import dev.iris.modelkit.rope.RotaryEmbedding;

import java.util.ArrayList;
import java.util.List;

/**
 * The decoder-only language model shared by the families (Llama, Mistral, Qwen2, Qwen2-VL's text
 * model): token embedding, the layers over a mixed batch and a paged K/V cache, final norm and
 * LM head. Families embed, splice their image features into the embeddings, then call
 * {@link #forward}.
 */
public final class DecoderLanguageModel {

    private final DecoderConfig config;
    private final DecoderWeights weights;
    private final ComputeBackend compute;
    private final AttentionBackend attention;
    private final RotaryEmbedding rope;
    private final List<DecoderLayer> layers = new ArrayList<>();

    public DecoderLanguageModel(DecoderConfig config, DecoderWeights weights, ComputeBackend compute,
                                AttentionBackend attention) {
        this.config = config;
        this.weights = weights;
        this.compute = compute;
        this.attention = attention;
        this.rope = RotaryEmbedding.create(config.headDim(), config.ropeTheta(), config.ropeScaling(), config.mropeSection());
        for (int i = 0; i < config.layers(); i++) {
            layers.add(new DecoderLayer(config, weights.layers().get(i), i));
        }
    }

    public DecoderConfig config() {
        return config;
    }

    /** Position axes the rotary embedding reads (3 for M-RoPE). */
    public int positionAxes() {
        return rope.axes();
    }

    /** The K/V geometry of this model for a pool of {@code pages} pages of {@code pageSize} tokens. */
    public KvCacheSpec cacheSpec(int pageSize, int pages) {
        return new KvCacheSpec(config.layers(), config.kvHeads(), config.headDim(), pageSize, pages);
    }

    /** Token embeddings {@code [ids.length, hidden]}. */
    public Tensor embed(int[] ids) {
        return compute.embedding(weights.embed(), ids);
    }

    /**
     * The batch's token embeddings with each sequence's image features spliced over its image
     * positions ({@link SequenceInput#splices()}): the input of families whose images are tokens.
     */
    public Tensor embed(ForwardBatch batch, BatchRows rows) {
        Tensor hidden = embed(rows.ids());
        for (int i = 0; i < batch.sequences().size(); i++) {
            for (SequenceInput.EmbeddingSplice s : batch.sequences().get(i).splices()) {
                compute.copyRowsInPlace(s.image().features(), s.imageRow(), hidden, rows.firstRow()[i] + s.tokenRow(),
                        s.rows());
            }
        }
        return hidden;
    }

    /**
     * Runs every layer over a batch's embeddings ({@code [tokens, hidden]}, modified in place),
     * writing the new tokens' K/V into {@code cache}, and returns the logits of the rows
     * {@code logitRows}: {@code [logitRows.length, vocab]}.
     */
    public Tensor forward(Tensor hidden, Positions positions, AttentionBatch batch, KvCache cache, int[] logitRows) {
        Tensor[] cosSin = rope.tables(compute, positions);
        for (DecoderLayer layer : layers) {
            layer.forward(compute, attention, hidden, cosSin[0], cosSin[1], batch, cache);
        }
        Tensor last = compute.gatherRows(hidden, logitRows);
        return compute.linear(compute.rmsNorm(last, weights.finalNorm(), (float) config.rmsEps()), weights.lmHead(), null);
    }
}
