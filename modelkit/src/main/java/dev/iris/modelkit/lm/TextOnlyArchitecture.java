package dev.iris.modelkit.lm;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.model.ModelContext;
import dev.iris.api.model.VisionLanguageModel;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * Serves the language model of checkpoints whose text config is at the top level (Qwen2,
 * Qwen2-VL, Llama) as a {@link TextOnlyModel}. Not a registered provider: tests and benchmarks
 * hand it to the loader for the architectures they name, so it never competes with a family.
 */
public final class TextOnlyArchitecture implements ModelArchitecture {

    private final Set<String> architectures;
    private final String chatTemplate;

    /**
     * @param architectures the {@code config.json} architectures it serves
     * @param chatTemplate  the template to render prompts with
     */
    public TextOnlyArchitecture(Set<String> architectures, String chatTemplate) {
        this.architectures = Set.copyOf(architectures);
        this.chatTemplate = chatTemplate;
    }

    @Override
    public String name() {
        return "text-only";
    }

    @Override
    public Set<String> architectures() {
        return architectures;
    }

    @Override
    public String defaultChatTemplate() {
        return chatTemplate;
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
        return new TextOnlyModel(lm, ctx.config().requireInt("max_position_embeddings"), List.of());
    }
}
