/**
 * The engine: the plugin host, model loading, scheduling, caches, sampling loop and the offline
 * Engine API. Finds every plugin through {@link java.util.ServiceLoader} and never names a plugin
 * class.
 */
module dev.iris.runtime {
    requires transitive dev.iris.api;
    requires org.apache.felix.framework;
    requires com.fasterxml.jackson.databind;
    requires java.net.http; // the Hugging Face Hub
    requires java.desktop; // javax.imageio (WebP and CMYK JPEG readers come from TwelveMonkeys, bound as services)

    exports dev.iris.runtime.plugin;
    exports dev.iris.runtime.weights;
    exports dev.iris.runtime.sampling;
    exports dev.iris.runtime.grammar;
    exports dev.iris.runtime.config;
    exports dev.iris.runtime.kv;
    exports dev.iris.runtime.stop;
    exports dev.iris.runtime.text;
    exports dev.iris.runtime.engine;
    exports dev.iris.runtime.tokenizer;
    exports dev.iris.runtime.model;
    exports dev.iris.runtime.checkpoint;
    exports dev.iris.runtime.gguf;
    exports dev.iris.runtime.media;
    exports dev.iris.runtime.hub;

    uses dev.iris.api.model.ModelArchitecture;
    uses dev.iris.api.chat.ChatTemplate;
    uses dev.iris.api.chat.ChatTemplateSource;
    uses dev.iris.api.compute.ComputeBackend;
    uses dev.iris.api.attention.AttentionBackend;
    uses dev.iris.api.sampling.Sampler;
    uses org.osgi.framework.launch.FrameworkFactory;

    provides dev.iris.api.sampling.Sampler with dev.iris.runtime.sampling.DefaultSampler;
}
