/**
 * The Qwen2-VL model family (issue #7): Qwen2VLForConditionalGeneration.
 */
module dev.iris.model.qwen2vl {
    requires dev.iris.modelkit;

    provides dev.iris.api.model.ModelArchitecture with dev.iris.model.qwen2vl.Qwen2VlArchitecture;
}
