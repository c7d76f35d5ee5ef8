package dev.iris.templates;

/** The built-in template for Qwen2-VL and Qwen2.5-VL. */
public final class Qwen2VlTemplate extends ConversationTemplate {

    public Qwen2VlTemplate() {
        super(Templates.QWEN2_VL);
    }
}
