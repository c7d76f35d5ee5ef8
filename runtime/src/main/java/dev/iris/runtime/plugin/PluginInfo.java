package dev.iris.runtime.plugin;

import dev.iris.api.IrisPlugin;

/**
 * One discovered provider.
 *
 * @param kind     the service interface it implements
 * @param name     its {@link IrisPlugin#name()}
 * @param module   the JPMS module name, the OSGi bundle symbolic name, or {@code unnamed} for the class path
 * @param version  the module or bundle version, or empty when unknown
 * @param location the jar (or class directory) it was loaded from
 * @param provider the provider instance
 */
public record PluginInfo(PluginKind kind, String name, String module, String version, String location,
                         IrisPlugin provider) {

    /** A line like {@code chat-template qwen2-vl (dev.iris.templates 0.1.0, /opt/iris/lib/iris-templates.jar)}. */
    public String describe() {
        return kind.label() + " " + name + " (" + module + (version.isEmpty() ? "" : " " + version) + ", " + location + ")";
    }
}
