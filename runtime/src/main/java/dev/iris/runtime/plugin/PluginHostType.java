package dev.iris.runtime.plugin;

import java.util.Locale;

/** How plugin jars in the plugins directory are loaded ({@code --plugin-host}). */
public enum PluginHostType {
    /** A child {@link ModuleLayer} built from the jars, read once at start-up. The default. */
    JPMS,
    /** An embedded Apache Felix framework that installs the jars as bundles and watches the directory. */
    OSGI;

    /** Parses {@code jpms} or {@code osgi} (any case). */
    public static PluginHostType parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "jpms" -> JPMS;
            case "osgi" -> OSGI;
            default -> throw new IllegalArgumentException("unknown plugin host '" + s + "' (expected jpms or osgi)");
        };
    }
}
