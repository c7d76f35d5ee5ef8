/**
 * The LLaVA model family: LLaVA-1.5, LLaVA-NeXT and LLaVA-OneVision, in llava-hf's layouts and in
 * the original one that SGLang serves.
 */
module dev.iris.model.llava {
    requires dev.iris.modelkit;

    provides dev.iris.api.model.ModelArchitecture with dev.iris.model.llava.LlavaArchitecture,
            dev.iris.model.llava.OriginalLlavaArchitecture, dev.iris.model.llava.OriginalLlavaQwenArchitecture;
}
