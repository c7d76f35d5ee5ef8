package dev.iris.model.mllama;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.model.ModelContext;
import dev.iris.api.model.ModelSpec;
import dev.iris.api.model.VisionLanguageModel;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/** The Llama-3.2-Vision family: {@code MllamaForConditionalGeneration} checkpoints (11B, 90B). */
public final class MllamaArchitecture implements ModelArchitecture {

    @Override
    public String name() {
        return "mllama";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("MllamaForConditionalGeneration");
    }

    @Override
    public String defaultChatTemplate() {
        return "llama_3_vision";
    }

    @Override
    public void validate(ConfigView config) {
        MllamaTextConfig.from(config);
        MllamaVisionConfig.from(config);
    }

    @Override
    public VisionLanguageModel load(ModelContext ctx) throws IOException {
        ConfigView config = ctx.config();
        MllamaTextConfig text = MllamaTextConfig.from(config);
        MllamaVisionConfig visual = MllamaVisionConfig.from(config);
        var c = text.decoder();
        MllamaTextModel lm = new MllamaTextModel(text, MllamaTextWeights.load(ctx.weights(), ctx.compute(), text),
                ctx.compute(), ctx.attention());
        MllamaVisionEncoder encoder = new MllamaVisionEncoder(visual,
                MllamaVisionWeights.load(ctx.weights(), ctx.compute(), visual, c.hidden()), ctx.compute(), ctx.attention());
        List<Integer> eos = config.requireObject("text_config").integerOrIntegers("eos_token_id").orElse(List.of())
                .stream().map(Long::intValue).toList();
        ModelSpec spec = new ModelSpec(c.vocab(), text.contextLength(), c.layers(), c.kvHeads(), c.headDim(),
                text.crossLayers().size(), config.requireInt("image_token_index"), eos);
        return new MllamaModel(lm, encoder, new MllamaImageProcessor(ctx.preprocessor()), visual, spec);
    }
}
