package dev.iris.modelkit.lm;

import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.ModelSpec;
import dev.iris.api.model.Positions;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.api.tensor.Tensor;

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
    public List<EncodedImage> encodeImages(List<ProcessedImage> images) {
        throw new UnsupportedOperationException("this model takes no images");
    }

    @Override
    public Tensor forward(ForwardBatch batch) {
        BatchRows rows = BatchRows.of(batch, lm.positionAxes());
        return lm.forward(lm.embed(rows.ids()), rows.positions(), batch.attention(), batch.cache(), rows.logitRows());
    }

    @Override
    public void close() {
    }
}
