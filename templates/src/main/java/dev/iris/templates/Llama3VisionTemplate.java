package dev.iris.templates;

/** The built-in template for Llama-3.2-Vision-Instruct (Mllama). */
public final class Llama3VisionTemplate extends ConversationTemplate {

    public Llama3VisionTemplate() {
        super(Templates.LLAMA_3_VISION);
    }
}
