package dev.iris.model.llava;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.model.ModelContext;
import dev.iris.api.model.VisionLanguageModel;

import java.io.IOException;
import java.util.Set;

/**
 * Original-layout LLaVA over Qwen2 ({@code LlavaQwenForCausalLM}: lmms-lab's LLaVA-OneVision),
 * prompted with SGLang's {@code chatml-llava} unless the operator names another template.
 */
public final class OriginalLlavaQwenArchitecture implements ModelArchitecture {

    @Override
    public String name() {
        return "llava-qwen-original";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("LlavaQwenForCausalLM");
    }

    @Override
    public String defaultChatTemplate() {
        return "chatml-llava";
    }

    @Override
    public void validate(ConfigView config) {
        OriginalCheckpoint.validate(config);
    }

    @Override
    public VisionLanguageModel load(ModelContext ctx) throws IOException {
        return OriginalCheckpoint.load(ctx);
    }
}
