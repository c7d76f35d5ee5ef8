/**
 * The built-in chat templates (contract §7): llama_3_vision, llava_llama_3, qwen2-vl,
 * chatml-llava and vicuna_v1.1, SGLang's conversation templates rendered byte for byte; and the
 * checkpoints' own Jinja templates ({@link dev.iris.templates.TemplateFiles}, a Jinja interpreter
 * in {@code dev.iris.templates.jinja}).
 */
module dev.iris.templates {
    requires dev.iris.api;

    provides dev.iris.api.chat.ChatTemplate with
            dev.iris.templates.Llama3VisionTemplate,
            dev.iris.templates.LlavaLlama3Template,
            dev.iris.templates.Qwen2VlTemplate,
            dev.iris.templates.ChatmlLlavaTemplate,
            dev.iris.templates.VicunaTemplate;
    provides dev.iris.api.chat.ChatTemplateSource with dev.iris.templates.TemplateFiles;
}
