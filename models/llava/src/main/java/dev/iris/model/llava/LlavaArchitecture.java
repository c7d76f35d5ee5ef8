package dev.iris.model.llava;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.model.ModelContext;
import dev.iris.api.model.VisionLanguageModel;

import java.io.IOException;
import java.util.Set;

/**
 * LLaVA-1.5, LLaVA-NeXT and LLaVA-OneVision as llava-hf publishes them
 * ({@code LlavaForConditionalGeneration}, {@code LlavaNextForConditionalGeneration},
 * {@code LlavaOnevisionForConditionalGeneration}: CLIP ViT-L/14-336 or SigLIP; Llama, Vicuna, Mistral
 * or Qwen2), with the names transformers writes before or since 4.52.
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
        return LlavaModel.load(ctx, LlavaConfig.from(ctx.config()), ctx.preprocessor());
    }
}
