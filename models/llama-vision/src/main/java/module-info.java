/**
 * The Llama-3.2-Vision (Mllama) model family (issue #8): MllamaForConditionalGeneration.
 */
module dev.iris.model.mllama {
    requires dev.iris.modelkit;
}
