package dev.iris.modelkit.engine;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.model.ModelContext;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.modelkit.lm.DecoderConfig;
import dev.iris.modelkit.lm.DecoderLanguageModel;
import dev.iris.modelkit.lm.DecoderWeights;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/** A test family serving Qwen2-VL checkpoints as text-only models, until the real family lands (#7). */
final class TextDecoderArchitecture implements ModelArchitecture {

    @Override
    public String name() {
        return "test-text-decoder";
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
        DecoderConfig.from(config, false);
    }

    @Override
    public VisionLanguageModel load(ModelContext ctx) throws IOException {
        DecoderConfig c = DecoderConfig.from(ctx.config(), ctx.config().boolOr("tie_word_embeddings", false));
        DecoderLanguageModel lm = new DecoderLanguageModel(c, DecoderWeights.load(ctx.weights(), ctx.compute(), "", c),
                ctx.compute(), ctx.attention());
        return new TextDecoderModel(lm, ctx.config().requireInt("max_position_embeddings"), List.of());
    }
}
