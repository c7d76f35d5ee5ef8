/**
 * An example chat-template plugin. The {@code provides} clause serves the JPMS hosts; the
 * matching {@code META-INF/services} file serves class-path and OSGi hosts.
 */
module com.example.iris.template {
    requires dev.iris.api;
    provides dev.iris.api.chat.ChatTemplate with com.example.iris.template.PlainChatMlTemplate;
}
