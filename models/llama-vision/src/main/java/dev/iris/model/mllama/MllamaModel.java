package dev.iris.model.mllama;

import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.ModelSpec;
import dev.iris.api.model.Positions;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.api.tensor.Tensor;
import dev.iris.modelkit.lm.BatchRows;

import java.util.ArrayList;
import java.util.List;

/**
 * MllamaForConditionalGeneration: each image is one {@code <|image|>} token in the prompt, and the
 * text reads the image's projected vision states through the cross-attention layers.
 */
final class MllamaModel implements VisionLanguageModel {

    private final MllamaTextModel text;
    private final MllamaVisionEncoder vision;
    private final MllamaImageProcessor processor;
    private final MllamaVisionConfig visionConfig;
    private final ModelSpec spec;

    MllamaModel(MllamaTextModel text, MllamaVisionEncoder vision, MllamaImageProcessor processor,
                MllamaVisionConfig visionConfig, ModelSpec spec) {
        this.text = text;
        this.vision = vision;
        this.processor = processor;
        this.visionConfig = visionConfig;
        this.spec = spec;
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public ImageProcessor imageProcessor() {
        return processor;
    }

    /**
     * Nothing to expand: one token per image, positions 0, 1, 2, …; the images' states take
     * {@link #encoderRowsPerImage()} encoder rows each, read as {@link CrossAttentionMask} says.
     */
    @Override
    public PreparedPrompt preparePrompt(int[] tokenIds, List<ProcessedImage> images) {
        List<MllamaImage> own = new ArrayList<>();
        for (ProcessedImage image : images) {
            if (!(image instanceof MllamaImage m)) {
                throw new IllegalArgumentException("not an image from the Mllama processor: " + image.getClass().getName());
            }
            own.add(m);
        }
        int[] positions = new int[tokenIds.length];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i;
        }
        int[][] visibility = visibility(tokenIds, own); // also checks the placeholder count
        return new PreparedPrompt(tokenIds, new Positions(1, positions), 0, List.of(),
                own.size() * encoderRowsPerImage(), own.isEmpty() ? new int[0][] : visibility);
    }

    /** Encoder rows one image takes: every tile the encoder runs, class token included. */
    int encoderRowsPerImage() {
        return visionConfig.maxTiles() * visionConfig.tokens();
    }

    /** Which encoder rows each prompt token reads ({@link CrossAttentionMask}). */
    int[][] visibility(int[] tokenIds, List<MllamaImage> images) {
        return CrossAttentionMask.visibility(tokenIds, spec.imageTokenId(),
                images.stream().mapToInt(MllamaImage::numTiles).toArray(), encoderRowsPerImage(), visionConfig.tokens());
    }

    /** Each image through the vision encoder and projector: {@code [maxTiles · tokens, textHidden]}. */
    @Override
    public List<EncodedImage> encodeImages(List<ProcessedImage> images) {
        List<EncodedImage> out = new ArrayList<>();
        for (ProcessedImage image : images) {
            if (!(image instanceof MllamaImage own)) {
                throw new IllegalArgumentException("not an image from the Mllama processor: " + image.getClass().getName());
            }
            out.add(new EncodedImage(vision.encode(own)));
        }
        return out;
    }

    @Override
    public Tensor forward(ForwardBatch batch) {
        BatchRows rows = BatchRows.of(batch, 1);
        return text.forward(text.embed(rows.ids()), rows.positions(), batch, rows.logitRows());
    }

    @Override
    public void close() {
    }
}
