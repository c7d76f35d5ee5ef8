/**
 * Chat templates (issues #7-#9): llama_3_vision, qwen2-vl, chatml-llava, llava_llama_3,
 * vicuna_v1.1 and the checkpoint's own Jinja template.
 */
module dev.iris.templates {
    requires dev.iris.api;
}
