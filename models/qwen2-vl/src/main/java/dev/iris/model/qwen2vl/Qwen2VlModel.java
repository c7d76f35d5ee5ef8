package dev.iris.model.qwen2vl;

import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.ModelSpec;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.api.tensor.Tensor;
import dev.iris.modelkit.lm.BatchRows;
import dev.iris.modelkit.lm.DecoderLanguageModel;

import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2VLForConditionalGeneration: the vision tower's merged embeddings replace the
 * {@code <|image_pad|>} embeddings of the prompt (one per 2×2 patch window), and the Qwen2
 * decoder runs with M-RoPE positions.
 */
final class Qwen2VlModel implements VisionLanguageModel {

    private final DecoderLanguageModel lm;
    private final Qwen2VisionTower vision;
    private final Qwen2VlImageProcessor processor;
    private final ModelSpec spec;
    private final int imageTokenId;
    private final int merge;

    Qwen2VlModel(DecoderLanguageModel lm, Qwen2VisionTower vision, Qwen2VlImageProcessor processor,
                 ModelSpec spec, int merge) {
        this.lm = lm;
        this.vision = vision;
        this.processor = processor;
        this.spec = spec;
        this.imageTokenId = spec.imageTokenId();
        this.merge = merge;
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public ImageProcessor imageProcessor() {
        return processor;
    }

    /** Each {@code <|image_pad|>} becomes as many as its image has merged patches; positions by M-RoPE. */
    @Override
    public PreparedPrompt preparePrompt(int[] tokenIds, List<ProcessedImage> images) {
        List<Qwen2VlImage> own = new ArrayList<>();
        for (ProcessedImage p : images) {
            if (!(p instanceof Qwen2VlImage q)) {
                throw new IllegalArgumentException("not an image from the Qwen2-VL processor: " + p.getClass().getName());
            }
            own.add(q);
        }
        int placeholders = 0;
        int length = 0;
        for (int id : tokenIds) {
            if (id == imageTokenId) {
                if (placeholders < own.size()) {
                    length += own.get(placeholders).promptTokens();
                }
                placeholders++;
            } else {
                length++;
            }
        }
        if (placeholders != own.size()) {
            throw new IllegalArgumentException("The prompt has " + placeholders + " image placeholder(s) for "
                    + own.size() + " image(s).");
        }
        int[] expanded = new int[length];
        List<Integer> starts = new ArrayList<>();
        List<PreparedPrompt.ImageSpan> spans = new ArrayList<>();
        int at = 0;
        for (int id : tokenIds) {
            if (id == imageTokenId) {
                int image = starts.size();
                int count = own.get(image).promptTokens();
                starts.add(at);
                spans.add(new PreparedPrompt.ImageSpan(image, at, count));
                for (int k = 0; k < count; k++) {
                    expanded[at++] = imageTokenId;
                }
            } else {
                expanded[at++] = id;
            }
        }
        MropeIndex.Result rope = MropeIndex.of(expanded, starts, own, merge);
        return new PreparedPrompt(expanded, rope.positions(), rope.decodeDelta(), spans);
    }

    /** All images in one tower pass (the attention is block-diagonal per image, so none sees another). */
    @Override
    public List<EncodedImage> encodeImages(List<ProcessedImage> images) {
        List<Qwen2VlImage> own = images.stream().map(Qwen2VlImage.class::cast).toList();
        return vision.encode(own).stream().map(EncodedImage::new).toList();
    }

    @Override
    public Tensor forward(ForwardBatch batch) {
        BatchRows rows = BatchRows.of(batch, lm.positionAxes());
        return lm.forward(lm.embed(batch, rows), rows.positions(), batch.attention(), batch.cache(), rows.logitRows());
    }

    @Override
    public void close() {
    }
}
