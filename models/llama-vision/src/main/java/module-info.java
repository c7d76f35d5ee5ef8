/**
 * The Llama-3.2-Vision (Mllama) model family (issue #8): MllamaForConditionalGeneration.
 */
module dev.iris.model.mllama {
    requires dev.iris.modelkit;

    provides dev.iris.api.model.ModelArchitecture with dev.iris.model.mllama.MllamaArchitecture;
}
