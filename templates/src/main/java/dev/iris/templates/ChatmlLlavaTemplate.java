package dev.iris.templates;

/** The built-in template for LLaVA-OneVision and LLaVA-NeXT on Qwen or Yi. */
public final class ChatmlLlavaTemplate extends ConversationTemplate {

    public ChatmlLlavaTemplate() {
        super(Templates.CHATML_LLAVA);
    }
}
