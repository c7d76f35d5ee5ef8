package dev.iris.model.llava;

import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.config.ConfigView;
import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.ModelContext;
import dev.iris.api.model.ModelSpec;
import dev.iris.api.model.Positions;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightSource;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.modelkit.lm.BatchRows;
import dev.iris.modelkit.lm.DecoderConfig;
import dev.iris.modelkit.lm.DecoderLanguageModel;
import dev.iris.modelkit.lm.DecoderWeights;
import dev.iris.modelkit.vision.Bilinear;
import dev.iris.modelkit.vision.ClipVisionEncoder;
import dev.iris.modelkit.vision.ClipVisionWeights;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A LLaVA model: each {@code <image>} becomes as many positions as the image has feature rows; the
 * CLIP or SigLIP tower's selected layer (CLIP's class token dropped) goes through the two-layer
 * projector, is packed per image, and replaces those positions' embeddings; the decoder is modelkit's.
 */
final class LlavaModel implements VisionLanguageModel {

    private final DecoderLanguageModel lm;
    private final ClipVisionEncoder vision;
    private final LlavaProjector projector;
    /** The learned vector after each row of an image's feature map ({@code [1, hidden]}); null for flat packing. */
    private final Tensor newline;
    private final LlavaImageProcessor processor;
    private final ComputeBackend compute;
    private final LlavaConfig config;
    private final ModelSpec spec;

    LlavaModel(DecoderLanguageModel lm, ClipVisionEncoder vision, LlavaProjector projector, Tensor newline,
               LlavaImageProcessor processor, ComputeBackend compute, LlavaConfig config, ModelSpec spec) {
        this.lm = lm;
        this.vision = vision;
        this.projector = projector;
        this.newline = newline;
        this.processor = processor;
        this.compute = compute;
        this.config = config;
        this.spec = spec;
    }

    /**
     * Builds the model from a checkpoint of any of the three namings ({@link LlavaWeightNames}).
     *
     * @param preprocessor the image processor's settings
     */
    static LlavaModel load(ModelContext ctx, LlavaConfig c, ConfigView preprocessor) throws IOException {
        WeightSource w = new LlavaWeightNames(ctx.weights());
        ComputeBackend compute = ctx.compute();
        DecoderConfig text = c.text();
        DecoderLanguageModel lm = new DecoderLanguageModel(text,
                DecoderWeights.load(w, compute, "language_model.", text), compute, ctx.attention());
        ClipVisionEncoder vision = new ClipVisionEncoder(c.vision(),
                ClipVisionWeights.load(w, compute, "vision_tower.vision_model.", c.vision(), c.layersUsed()),
                compute, ctx.attention());
        String p = "multi_modal_projector.";
        int vh = c.vision().hidden();
        int h = text.hidden();
        LlavaProjector projector = new LlavaProjector(compute, get(w, compute, p + "linear_1.weight", h, vh),
                get(w, compute, p + "linear_1.bias", h), get(w, compute, p + "linear_2.weight", h, h),
                get(w, compute, p + "linear_2.bias", h));
        Tensor newline = c.mode().spatial()
                ? compute.fromFloats(compute.toFloats(get(w, compute, "image_newline", h)), Shape.of(1, h)) : null;
        ModelSpec spec = new ModelSpec(text.vocab(), c.contextLength(), text.layers(), text.kvHeads(), text.headDim(), 0,
                c.imageTokenId(), List.of());
        return new LlavaModel(lm, vision, projector, newline, new LlavaImageProcessor(preprocessor, c.side(), c.mode()),
                compute, c, spec);
    }

    private static Tensor get(WeightSource w, ComputeBackend compute, String name, int... dims) throws IOException {
        WeightTensor t = w.get(name);
        if (!t.shape().equals(Shape.of(dims))) {
            throw new IOException("tensor '" + name + "' has shape " + t.shape() + ", the config implies " + Shape.of(dims));
        }
        return compute.weight(t);
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public ImageProcessor imageProcessor() {
        return processor;
    }

    /** Each {@code <image>} repeated for its image's feature rows; positions 0, 1, 2, … */
    @Override
    public PreparedPrompt preparePrompt(int[] tokenIds, List<ProcessedImage> images) {
        int placeholders = 0;
        int length = 0;
        for (int id : tokenIds) {
            if (id == spec.imageTokenId()) {
                length += placeholders < images.size() ? images.get(placeholders).promptTokens() : 1;
                placeholders++;
            } else {
                length++;
            }
        }
        if (placeholders != images.size()) {
            throw new IllegalArgumentException("The prompt has " + placeholders + " image placeholder(s) for "
                    + images.size() + " image(s).");
        }
        int[] expanded = new int[length];
        int[] positions = new int[length];
        List<PreparedPrompt.ImageSpan> spans = new ArrayList<>();
        int at = 0;
        for (int id : tokenIds) {
            int count = id == spec.imageTokenId() ? images.get(spans.size()).promptTokens() : 1;
            if (id == spec.imageTokenId()) {
                spans.add(new PreparedPrompt.ImageSpan(spans.size(), at, count));
            }
            for (int k = 0; k < count; k++, at++) {
                expanded[at] = id;
                positions[at] = at;
            }
        }
        return new PreparedPrompt(expanded, new Positions(1, positions), 0, spans);
    }

    /** Every crop of every image through the tower in one pass, then the projector: one tensor per image. */
    @Override
    public List<EncodedImage> encodeImages(List<ProcessedImage> images) {
        List<float[]> crops = new ArrayList<>();
        for (ProcessedImage image : images) {
            if (!(image instanceof LlavaImage own)) {
                throw new IllegalArgumentException("not an image from the LLaVA processor: " + image.getClass().getName());
            }
            for (int i = 0; i < own.crops(); i++) {
                crops.add(own.crop(i));
            }
        }
        Tensor states = vision.encode(crops); // [crops · tokens, visionHidden]
        int tokens = vision.config().tokens();
        int kept = config.tokensPerCrop();
        int[] rows = new int[crops.size() * kept];
        for (int c = 0; c < crops.size(); c++) {
            for (int t = 0; t < kept; t++) {
                rows[c * kept + t] = c * tokens + t + (config.dropClass() ? 1 : 0);
            }
        }
        Tensor features = projector.apply(compute.gatherRows(states, rows)); // [crops · kept, hidden]
        if (newline != null) {
            features = compute.concat(0, List.of(features, newline)); // the newline is the last row
        }
        List<EncodedImage> out = new ArrayList<>();
        int first = 0;
        for (ProcessedImage image : images) {
            LlavaImage own = (LlavaImage) image;
            int newlineRow = features.shape().dim(0) - 1;
            int[] ownRows = range(first, own.crops() * kept);
            if (own.layout() == null && newline != null) {
                // spatial_unpad gives a lone crop one newline after its features.
                ownRows = Arrays.copyOf(ownRows, kept + 1);
                ownRows[kept] = newlineRow;
            }
            out.add(new EncodedImage(own.layout() != null && config.mode().spatial()
                    ? pack(own.layout(), features, first, kept, newlineRow) : compute.gatherRows(features, ownRows)));
            first += own.crops() * kept;
        }
        return out;
    }

    private static int[] range(int from, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = from + i;
        }
        return out;
    }

    /**
     * An anyres image's features in the order the prompt takes them (spec llava.md §6.2): the base
     * crop's rows, then the tiles' rows as one map (tile-major grid, row-major inside each tile)
     * with the padding's rows or columns cut — shrunk bilinearly for OneVision's
     * {@code anyres_max_N} — and a newline after each map row.
     */
    private Tensor pack(AnyresLayout layout, Tensor features, int first, int perCrop, int newlineRow) {
        int side = config.side();
        int[] kept = layout.unpadded(side);
        int[] map = new int[kept[1] * kept[3]];
        int at = 0;
        for (int y = kept[0]; y < kept[0] + kept[1]; y++) {
            for (int x = kept[2]; x < kept[2] + kept[3]; x++) {
                int tile = (y / side) * layout.cols() + x / side;
                map[at++] = first + (1 + tile) * perCrop + (y % side) * side + x % side;
            }
        }
        int[] size = layout.packedSize(side, config.mode().maxPatches());
        Tensor source = features;
        if (size[0] != kept[1] || size[1] != kept[3]) {
            int d = features.shape().dim(1);
            float[] shrunk = Bilinear.resize(compute.toFloats(compute.gatherRows(features, map)), kept[1], kept[3], d,
                    size[0], size[1]);
            // Base rows and the newline first, the shrunk map after them.
            int[] head = range(first, perCrop + 1);
            head[perCrop] = newlineRow;
            source = compute.concat(0, List.of(compute.gatherRows(features, head),
                    compute.fromFloats(shrunk, Shape.of(size[0] * size[1], d))));
            first = 0;
            newlineRow = perCrop;
            map = range(perCrop + 1, size[0] * size[1]);
        }
        int[] order = new int[perCrop + size[0] * (size[1] + 1)];
        at = 0;
        for (int i = 0; i < perCrop; i++) {
            order[at++] = first + i;
        }
        for (int y = 0; y < size[0]; y++) {
            for (int x = 0; x < size[1]; x++) {
                order[at++] = map[y * size[1] + x];
            }
            order[at++] = newlineRow;
        }
        return compute.gatherRows(source, order);
    }

    @Override
    public Tensor forward(ForwardBatch batch) {
        BatchRows rows = BatchRows.of(batch, lm.positionAxes());
        // Original checkpoints may have no embedding row for the image token (32000 of 32000 rows):
        // clamp it, as SGLang does; the features overwrite those rows anyway.
        int[] ids = rows.ids();
        for (int i = 0; i < ids.length; i++) {
            ids[i] = Math.min(ids[i], spec.vocabSize() - 1);
        }
        return lm.forward(lm.embed(batch, rows), rows.positions(), batch.attention(), batch.cache(), rows.logitRows());
    }

    @Override
    public void close() {
    }
}
