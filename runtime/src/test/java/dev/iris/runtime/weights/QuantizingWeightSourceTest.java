package dev.iris.runtime.weights;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --quantization} takes the language model's weights of every served family, and nothing of the vision side. */
class QuantizingWeightSourceTest {

    @ParameterizedTest
    @ValueSource(strings = {"model.layers.0.self_attn.q_proj.weight", "model.layers.27.mlp.down_proj.weight",
            "language_model.model.layers.3.mlp.gate_proj.weight", "language_model.model.layers.3.cross_attn.k_proj.weight",
            "lm_head.weight", "language_model.lm_head.weight", "model.embed_tokens.weight",
            "language_model.model.embed_tokens.weight"})
    void theLanguageModelsLinearWeightsHeadAndEmbeddingsAreQuantized(String name) {
        assertTrue(QuantizingWeightSource.languageModelLinear(name), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"visual.blocks.0.attn.qkv.weight", "visual.merger.mlp.0.weight",
            "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight",
            "vision_model.transformer.layers.0.self_attn.q_proj.weight", "multi_modal_projector.linear_1.weight",
            "model.layers.0.input_layernorm.weight", "model.layers.0.self_attn.q_proj.bias", "model.norm.weight",
            "language_model.model.layers.3.cross_attn_attn_gate"})
    void normsBiasesAndTheVisionSideStayAsStored(String name) {
        assertFalse(QuantizingWeightSource.languageModelLinear(name), name);
    }
}
