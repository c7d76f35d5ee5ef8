package dev.iris.templates;

/** The built-in template for LLaVA-1.5 and 1.6 on Vicuna. */
public final class VicunaTemplate extends ConversationTemplate {

    public VicunaTemplate() {
        super(Templates.VICUNA_V1_1);
    }
}
