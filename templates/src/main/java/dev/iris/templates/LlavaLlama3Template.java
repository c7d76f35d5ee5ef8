package dev.iris.templates;

/** The built-in template for Llama3-LLaVA-NeXT-8B. */
public final class LlavaLlama3Template extends ConversationTemplate {

    public LlavaLlama3Template() {
        super(Templates.LLAVA_LLAMA_3);
    }
}
