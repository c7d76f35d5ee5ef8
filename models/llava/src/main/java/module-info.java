/**
 * The LLaVA model family (issue #9): LLaVA-1.5, LLaVA-NeXT and LLaVA-OneVision.
 */
module dev.iris.model.llava {
    requires dev.iris.modelkit;
}
