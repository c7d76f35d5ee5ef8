package dev.iris.runtime.plugin;

/** Two providers of the same kind share a name; the message names both jars. Start-up fails. */
public class PluginConflictException extends RuntimeException {

    public PluginConflictException(PluginInfo existing, PluginInfo duplicate) {
        super("two " + existing.kind().label() + " providers are named '" + existing.name() + "': "
                + existing.location() + " (" + existing.module() + ") and "
                + duplicate.location() + " (" + duplicate.module() + "); remove one of the jars");
    }
}
