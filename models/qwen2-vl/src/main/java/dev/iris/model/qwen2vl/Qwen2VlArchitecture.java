package dev.iris.model.qwen2vl;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.model.ModelContext;
import dev.iris.api.model.ModelSpec;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.modelkit.lm.DecoderConfig;
import dev.iris.modelkit.lm.DecoderLanguageModel;
import dev.iris.modelkit.lm.DecoderWeights;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/** The Qwen2-VL family: {@code Qwen2VLForConditionalGeneration} checkpoints (2B, 7B, 72B). */
public final class Qwen2VlArchitecture implements ModelArchitecture {

    @Override
    public String name() {
        return "qwen2-vl";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen2VLForConditionalGeneration");
    }

    @Override
    public String defaultChatTemplate() {
        return "qwen2-vl";
    }

    @Override
    public void validate(ConfigView config) {
        DecoderConfig.from(config, config.boolOr("tie_word_embeddings", false));
        Qwen2VisionConfig.from(config);
    }

    @Override
    public VisionLanguageModel load(ModelContext ctx) throws IOException {
        ConfigView config = ctx.config();
        DecoderConfig text = DecoderConfig.from(config, config.boolOr("tie_word_embeddings", false));
        Qwen2VisionConfig visual = Qwen2VisionConfig.from(config);
        DecoderLanguageModel lm = new DecoderLanguageModel(text, DecoderWeights.load(ctx.weights(), ctx.compute(), "", text),
                ctx.compute(), ctx.attention());
        Qwen2VisionTower tower = new Qwen2VisionTower(visual, Qwen2VisionWeights.load(ctx.weights(), ctx.compute(), visual),
                ctx.compute(), ctx.attention());
        ModelSpec spec = new ModelSpec(text.vocab(), config.requireInt("max_position_embeddings"), text.layers(),
                text.kvHeads(), text.headDim(), 0, config.requireInt("image_token_id"),
                config.integerOrIntegers("eos_token_id").orElse(List.of()).stream().map(Long::intValue).toList());
        return new Qwen2VlModel(lm, tower, new Qwen2VlImageProcessor(ctx.preprocessor()), spec, visual.merge());
    }
}
