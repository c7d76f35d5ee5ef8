package dev.iris.runtime.plugin;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How to find plugins.
 *
 * @param pluginsDir   the directory of operator-supplied plugin jars; need not exist
 * @param host         how to load them
 * @param pollInterval how often the OSGi host looks for added, replaced or removed jars
 */
public record PluginSettings(Path pluginsDir, PluginHostType host, Duration pollInterval) {

    /** Default poll interval of the OSGi directory watcher. */
    public static final Duration DEFAULT_POLL = Duration.ofSeconds(1);

    public PluginSettings {
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("poll interval must be positive");
        }
    }

    /** Settings with the default poll interval. */
    public static PluginSettings of(Path pluginsDir, PluginHostType host) {
        return new PluginSettings(pluginsDir, host, DEFAULT_POLL);
    }
}
