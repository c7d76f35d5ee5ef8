package dev.iris.model.llava;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.model.ModelContext;
import dev.iris.api.model.ModelSpec;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightSource;
import dev.iris.api.tensor.WeightTensor;
import dev.iris.modelkit.lm.DecoderConfig;
import dev.iris.modelkit.lm.DecoderLanguageModel;
import dev.iris.modelkit.lm.DecoderWeights;
import dev.iris.modelkit.vision.ClipVisionEncoder;
import dev.iris.modelkit.vision.ClipVisionWeights;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * LLaVA-1.5, LLaVA-NeXT and LLaVA-OneVision as llava-hf publishes them
 * ({@code LlavaForConditionalGeneration}, {@code LlavaNextForConditionalGeneration},
 * {@code LlavaOnevisionForConditionalGeneration}: CLIP ViT-L/14-336 or SigLIP; Llama, Vicuna, Mistral
 * or Qwen2), with the names transformers up to 4.51 writes.
 */
public final class LlavaArchitecture implements ModelArchitecture {

    @Override
    public String name() {
        return "llava";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("LlavaForConditionalGeneration", "LlavaNextForConditionalGeneration",
                "LlavaOnevisionForConditionalGeneration");
    }

    @Override
    public String defaultChatTemplate() {
        return "vicuna_v1.1";
    }

    @Override
    public void validate(ConfigView config) {
        LlavaConfig.from(config);
    }

    @Override
    public VisionLanguageModel load(ModelContext ctx) throws IOException {
        LlavaConfig c = LlavaConfig.from(ctx.config());
        WeightSource w = ctx.weights();
        DecoderConfig text = c.text();
        DecoderLanguageModel lm = new DecoderLanguageModel(text,
                DecoderWeights.load(w, ctx.compute(), "language_model.", text), ctx.compute(), ctx.attention());
        ClipVisionEncoder vision = new ClipVisionEncoder(c.vision(),
                ClipVisionWeights.load(w, ctx.compute(), "vision_tower.vision_model.", c.vision(), c.layersUsed()),
                ctx.compute(), ctx.attention());
        String p = "multi_modal_projector.";
        int vh = c.vision().hidden();
        int h = text.hidden();
        LlavaProjector projector = new LlavaProjector(ctx.compute(), get(w, ctx, p + "linear_1.weight", h, vh),
                get(w, ctx, p + "linear_1.bias", h), get(w, ctx, p + "linear_2.weight", h, h), get(w, ctx, p + "linear_2.bias", h));
        Tensor newline = c.pinpoints().isEmpty() ? null : ctx.compute().fromFloats(
                ctx.compute().toFloats(get(w, ctx, "image_newline", h)), Shape.of(1, h));
        ModelSpec spec = new ModelSpec(text.vocab(), ctx.config().requireObject("text_config").intOr("max_position_embeddings",
                4096), text.layers(), text.kvHeads(), text.headDim(), 0, c.imageTokenId(), List.of());
        return new LlavaModel(lm, vision, projector, newline,
                new LlavaImageProcessor(ctx.preprocessor(), c.side(), c.pinpoints(), c.maxPatches()), ctx.compute(), c, spec);
    }

    private static Tensor get(WeightSource w, ModelContext ctx, String name, int... dims) throws IOException {
        WeightTensor t = w.get(name);
        if (!t.shape().equals(Shape.of(dims))) {
            throw new IOException("tensor '" + name + "' has shape " + t.shape() + ", the config implies " + Shape.of(dims));
        }
        return ctx.compute().weight(t);
    }
}
