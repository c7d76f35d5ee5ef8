/**
 * The LLaVA model family (issue #9): LLaVA-1.5 today (LlavaForConditionalGeneration); NeXT and
 * OneVision follow.
 */
module dev.iris.model.llava {
    requires dev.iris.modelkit;

    provides dev.iris.api.model.ModelArchitecture with dev.iris.model.llava.LlavaArchitecture;
}
