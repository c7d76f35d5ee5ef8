package dev.iris.templates;

import java.util.List;

/** The parameters of the five built-in templates (contract §7.2). */
final class Templates {

    private static final String LLAMA3_SYSTEM = "You are a helpful language and vision assistant. You are able to"
            + " understand the visual content that the user provides, and assist the user with a variety of tasks"
            + " using natural language.";
    private static final List<String> LLAMA3_STOPS = List.of("<|end_of_text|>", "<|eot_id|>");

    static final ConversationTemplate.Params LLAMA_3_VISION = new ConversationTemplate.Params("llama_3_vision",
            SeparatorStyle.LLAMA3, "user", "assistant", LLAMA3_SYSTEM, "{system}", "<|image|>", true, LLAMA3_STOPS, "", "");

    static final ConversationTemplate.Params LLAVA_LLAMA_3 = new ConversationTemplate.Params("llava_llama_3",
            SeparatorStyle.LLAMA3, "user", "assistant", LLAMA3_SYSTEM, "{system}", "<image>", true, LLAMA3_STOPS, "", "");

    static final ConversationTemplate.Params QWEN2_VL = new ConversationTemplate.Params("qwen2-vl",
            SeparatorStyle.ADD_NEW_LINE_SINGLE, "<|im_start|>user", "<|im_start|>assistant", "You are a helpful assistant.",
            "<|im_start|>system\n{system}", "<|vision_start|><|image_pad|><|vision_end|>", false, List.of("<|im_end|>"),
            "<|im_end|>\n", "");

    static final ConversationTemplate.Params CHATML_LLAVA = new ConversationTemplate.Params("chatml-llava",
            SeparatorStyle.CHATML, "<|im_start|>user", "<|im_start|>assistant", "You are a helpful assistant.",
            "<|im_start|>system\n{system}", "<image>", true, List.of("<|endoftext|>", "<|im_end|>"), "<|im_end|>", "");

    static final ConversationTemplate.Params VICUNA_V1_1 = new ConversationTemplate.Params("vicuna_v1.1",
            SeparatorStyle.ADD_COLON_TWO, "USER", "ASSISTANT", "A chat between a curious user and an artificial"
            + " intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.",
            "{system}", "<image>", true, List.of(), " ", "</s>");

    private Templates() {
    }
}
