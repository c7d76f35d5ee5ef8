package dev.iris.model.llava;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.model.ModelContext;
import dev.iris.api.model.VisionLanguageModel;

import java.io.IOException;
import java.util.Set;

/**
 * Original-layout LLaVA over Llama/Vicuna or Mistral ({@code LlavaLlamaForCausalLM},
 * {@code LlavaMistralForCausalLM}: liuhaotian's LLaVA-1.5 and 1.6, lmms-lab's llama3-llava-next),
 * prompted with SGLang's {@code vicuna_v1.1} unless the operator names another template.
 */
public final class OriginalLlavaArchitecture implements ModelArchitecture {

    @Override
    public String name() {
        return "llava-original";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("LlavaLlamaForCausalLM", "LlavaMistralForCausalLM");
    }

    @Override
    public String defaultChatTemplate() {
        return "vicuna_v1.1";
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
