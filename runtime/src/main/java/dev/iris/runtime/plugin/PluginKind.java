package dev.iris.runtime.plugin;

import dev.iris.api.IrisPlugin;
import dev.iris.api.attention.AttentionBackend;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ChatTemplateSource;
import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.model.ModelArchitecture;
import dev.iris.api.sampling.Sampler;

/** The service interfaces a plugin can provide, with the label operators see in listings. */
public enum PluginKind {
    MODEL("model", ModelArchitecture.class),
    CHAT_TEMPLATE("chat-template", ChatTemplate.class),
    TEMPLATE_SOURCE("template-source", ChatTemplateSource.class),
    COMPUTE_BACKEND("compute-backend", ComputeBackend.class),
    ATTENTION_BACKEND("attention-backend", AttentionBackend.class),
    SAMPLER("sampler", Sampler.class);

    private final String label;
    private final Class<? extends IrisPlugin> spi;

    PluginKind(String label, Class<? extends IrisPlugin> spi) {
        this.label = label;
        this.spi = spi;
    }

    /** The label in listings, e.g. {@code chat-template}. */
    public String label() {
        return label;
    }

    /** The service interface. */
    public Class<? extends IrisPlugin> spi() {
        return spi;
    }

    /** The kind whose service interface is {@code spi}. */
    public static PluginKind of(Class<? extends IrisPlugin> spi) {
        for (PluginKind k : values()) {
            if (k.spi == spi) {
                return k;
            }
        }
        throw new IllegalArgumentException(spi.getName() + " is not an Iris service interface");
    }
}
