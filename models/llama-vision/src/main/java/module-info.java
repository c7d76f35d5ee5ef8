/**
 * The Llama-3.2-Vision (Mllama) model family (issue #8): MllamaForConditionalGeneration. Its
 * architecture is registered as a provider once the engine feeds cross-attention states (#8);
 * until then the model runs in its tests only.
 */
module dev.iris.model.mllama {
    requires dev.iris.modelkit;
}
