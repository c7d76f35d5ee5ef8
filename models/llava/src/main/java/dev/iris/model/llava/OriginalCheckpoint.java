package dev.iris.model.llava;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ModelContext;
import dev.iris.api.model.VisionLanguageModel;
import dev.iris.modelkit.lm.DecoderConfig;
import dev.iris.modelkit.vision.ClipVisionConfig;

import java.io.IOException;
import java.util.List;

/**
 * Original LLaVA checkpoints (liuhaotian, lmms-lab; the layout SGLang serves, spec llava.md §2.4,
 * §3.2, §9.1): a flat language-model config with {@code mm_*} keys, the vision tower that
 * {@code mm_vision_tower} names, and the original code's image conventions.
 */
final class OriginalCheckpoint {

    private OriginalCheckpoint() {
    }

    /** The decoder {@code architectures} implies: Qwen2, Mistral or Llama. */
    static String decoder(ConfigView config) {
        String architecture = config.strings("architectures").orElse(List.of()).stream().findFirst().orElse("");
        return switch (architecture) {
            case "LlavaQwenForCausalLM" -> "qwen2";
            case "LlavaMistralForCausalLM" -> "mistral";
            default -> "llama";
        };
    }

    /** The keys that need neither the tower nor the weights. */
    static void validate(ConfigView config) {
        DecoderConfig.from(config, decoder(config), false);
        LlavaConfig.originalMode(config);
        config.requireString("mm_vision_tower");
    }

    /**
     * The processor settings are the model directory's {@code preprocessor_config.json} when it has
     * one (SGLang reads the processor from the tokenizer's directory), else the tower's.
     */
    static VisionLanguageModel load(ModelContext ctx) throws IOException {
        VisionTower tower = VisionTower.resolve(ctx.config(), ctx.modelDir());
        LlavaConfig c = LlavaConfig.original(ctx.config(), decoder(ctx.config()), ClipVisionConfig.from(tower.config()));
        ConfigView preprocessor = ctx.preprocessor().keys().isEmpty()
                ? tower.preprocessor().orElseThrow(() -> new IOException("no image processor settings: neither "
                + ctx.modelDir().resolve("preprocessor_config.json") + " nor the vision tower's preprocessor_config.json"))
                : ctx.preprocessor();
        return LlavaModel.load(ctx, c, preprocessor);
    }
}
