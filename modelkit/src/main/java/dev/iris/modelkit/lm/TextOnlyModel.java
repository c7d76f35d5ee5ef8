package dev.iris.modelkit.lm;

import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.ModelSpec;
import dev.iris.api.model.Positions;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.SequenceInput;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.api.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A checkpoint's language model served alone: a {@link VisionLanguageModel} that takes no images.
 * The engine's tests and the decode-throughput benchmark run on it (decoding never touches a
 * vision tower), and a family for a text-only checkpoint can be this and a config reader.
 */
public final class TextOnlyModel implements VisionLanguageModel {

    private final DecoderLanguageModel lm;
    private final ModelSpec spec;

    public TextOnlyModel(DecoderLanguageModel lm, int contextLength, List<Integer> eos) {
        this.lm = lm;
        var c = lm.config();
        this.spec = new ModelSpec(c.vocab(), contextLength, c.layers(), c.kvHeads(), c.headDim(), 0, -1, eos);
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public ImageProcessor imageProcessor() {
        throw new UnsupportedOperationException("this model takes no images");
    }

    @Override
    public PreparedPrompt preparePrompt(int[] tokenIds, List<ProcessedImage> images) {
        if (!images.isEmpty()) {
            throw new IllegalArgumentException("this model takes no images");
        }
        return new PreparedPrompt(tokenIds, Positions.sequential(lm.positionAxes(), 0, tokenIds.length), 0, List.of());
    }

    @Override
    public EncodedImage encodeImage(ProcessedImage image) {
        throw new UnsupportedOperationException("this model takes no images");
    }

    @Override
    public Tensor forward(ForwardBatch batch) {
        List<Integer> ids = new ArrayList<>();
        List<Integer> logitRows = new ArrayList<>();
        int axes = lm.positionAxes();
        List<int[]> axisValues = new ArrayList<>();
        for (int a = 0; a < axes; a++) {
            axisValues.add(new int[batch.attention().totalQueryRows()]);
        }
        int row = 0;
        for (SequenceInput s : batch.sequences()) {
            for (int t = 0; t < s.tokenIds().length; t++, row++) {
                ids.add(s.tokenIds()[t]);
                for (int a = 0; a < axes; a++) {
                    axisValues.get(a)[row] = s.positions().at(Math.min(a, s.positions().axes() - 1), t);
                }
            }
            if (s.needsLogits()) {
                logitRows.add(row - 1);
            }
        }
        int[] flat = new int[axes * row];
        for (int a = 0; a < axes; a++) {
            System.arraycopy(axisValues.get(a), 0, flat, a * row, row);
        }
        AttentionBatch attention = batch.attention();
        return lm.forward(lm.embed(ids.stream().mapToInt(Integer::intValue).toArray()), new Positions(axes, flat),
                attention, batch.cache(), logitRows.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    public void close() {
    }
}
