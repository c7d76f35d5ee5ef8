package dev.iris.runtime.plugin;

import java.util.List;

/**
 * Told when providers appear or disappear while the registry runs (OSGi hot deployment).
 * Called on the registry's watcher thread; keep it short.
 */
@FunctionalInterface
public interface PluginListener {

    /**
     * @param added   providers now available
     * @param removed providers gone (a replaced jar's old providers are removed, its new ones added)
     */
    void pluginsChanged(List<PluginInfo> added, List<PluginInfo> removed);
}
