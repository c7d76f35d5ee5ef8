package dev.iris.model.mllama;

import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.AttentionSequence;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.Positions;
import dev.iris.api.model.SequenceInput;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.modelkit.lm.DecoderLayer;
import dev.iris.modelkit.lm.DecoderWeights;
import dev.iris.modelkit.rope.RotaryEmbedding;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * MllamaTextModel (spec mllama.md §7): modelkit's Llama-3.1 decoder layers with the
 * cross-attention layers at their places in the stack, over a mixed batch. A batch where no
 * sequence reads an image skips the cross-attention layers (they would add exactly zero).
 */
final class MllamaTextModel {

    private final MllamaTextConfig config;
    private final MllamaTextWeights weights;
    private final ComputeBackend compute;
    private final AttentionBackend attention;
    private final RotaryEmbedding rope;
    /** The stack in order: {@link DecoderLayer} or {@link MllamaCrossAttentionLayer}. */
    private final List<Object> layers = new ArrayList<>();

    MllamaTextModel(MllamaTextConfig config, MllamaTextWeights weights, ComputeBackend compute,
                    AttentionBackend attention) {
        this.config = config;
        this.weights = weights;
        this.compute = compute;
        this.attention = attention;
        var c = config.decoder();
        this.rope = RotaryEmbedding.create(c.headDim(), c.ropeTheta(), c.ropeScaling(), null);
        int self = 0;
        int cross = 0;
        for (int i = 0; i < config.totalLayers(); i++) {
            Object w = weights.layers().get(i);
            layers.add(w instanceof MllamaTextWeights.Cross x ? new MllamaCrossAttentionLayer(c, x, cross++)
                    : new DecoderLayer(c, (DecoderWeights.Layer) w, self++));
        }
    }

    /** Token embeddings {@code [ids.length, hidden]} (the image token has its own row). */
    Tensor embed(int[] ids) {
        return compute.embedding(weights.embed(), ids);
    }

    /**
     * Runs the stack over the batch's embeddings ({@code [tokens, hidden]}, modified in place) and
     * returns the logits of {@code logitRows}.
     */
    Tensor forward(Tensor hidden, Positions positions, ForwardBatch batch, int[] logitRows) {
        Tensor[] cosSin = rope.tables(compute, positions);
        AttentionBatch attentionBatch = batch.attention();
        boolean images = attentionBatch.sequences().stream().anyMatch(s -> s.encoderLength() > 0);
        Tensor mask = images ? mask(batch) : null;
        boolean[] readsNone = images ? readsNone(batch) : null;
        for (Object layer : layers) {
            if (layer instanceof DecoderLayer self) {
                self.forward(compute, attention, hidden, cosSin[0], cosSin[1], attentionBatch, batch.cache());
            } else if (images) {
                MllamaCrossAttentionLayer cross = (MllamaCrossAttentionLayer) layer;
                writeNewStates(cross, batch);
                cross.forward(compute, attention, hidden, attentionBatch, batch.encoderCache(), mask, readsNone);
            }
        }
        Tensor last = compute.gatherRows(hidden, logitRows);
        return compute.linear(compute.rmsNorm(last, weights.finalNorm(), (float) config.decoder().rmsEps()),
                weights.lmHead(), null);
    }

    /** Stores the K/V of images that arrive in this step in their sequences' encoder pages. */
    private void writeNewStates(MllamaCrossAttentionLayer layer, ForwardBatch batch) {
        for (SequenceInput s : batch.sequences()) {
            if (s.cross() == null || s.cross().newStates().isEmpty()) {
                continue;
            }
            List<Tensor> states = s.cross().newStates().stream().map(EncodedImage::features).toList();
            Tensor[] kv = layer.keysAndValues(compute, states.size() == 1 ? states.getFirst() : compute.concat(0, states));
            attention.writeEncoderStates(batch.encoderCache(), layer.index(), s.attention(), kv[0], kv[1]);
        }
    }

    /**
     * The additive visibility of every row: 0 on its readable encoder rows, −∞ elsewhere; a row that
     * reads no image gets no mask at all (HF 4.45's rule: its attention still runs, over every row).
     */
    private Tensor mask(ForwardBatch batch) {
        int rows = batch.attention().totalQueryRows();
        int cols = batch.attention().sequences().stream().mapToInt(AttentionSequence::encoderLength).max().orElse(0);
        float[] m = new float[rows * cols];
        for (SequenceInput s : batch.sequences()) {
            if (s.cross() == null) {
                continue;
            }
            int[][] visible = s.cross().visible();
            for (int t = 0; t < visible.length; t++) {
                if (visible[t].length == 0) {
                    continue;
                }
                int row = (s.attention().queryOffset() + t) * cols;
                Arrays.fill(m, row, row + cols, Float.NEGATIVE_INFINITY);
                for (int r = 0; r < visible[t].length; r += 2) {
                    Arrays.fill(m, row + visible[t][r], row + visible[t][r + 1], 0f);
                }
            }
        }
        return compute.fromFloats(m, Shape.of(rows, cols));
    }

    /** Rows that read no image: those of sequences without images and those before a sequence's first image. */
    private static boolean[] readsNone(ForwardBatch batch) {
        boolean[] none = new boolean[batch.attention().totalQueryRows()];
        for (SequenceInput s : batch.sequences()) {
            int from = s.attention().queryOffset();
            int[][] visible = s.cross() == null ? null : s.cross().visible();
            for (int t = 0; t < s.attention().queryLength(); t++) {
                none[from + t] = visible == null || visible[t].length == 0;
            }
        }
        return none;
    }
}
