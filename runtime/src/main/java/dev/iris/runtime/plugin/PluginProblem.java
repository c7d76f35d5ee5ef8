package dev.iris.runtime.plugin;

/**
 * A plugin jar (or one provider in it) that was skipped, and why. The other plugins still load.
 *
 * @param location the jar
 * @param reason   what was wrong, for the operator
 */
public record PluginProblem(String location, String reason) {

    @Override
    public String toString() {
        return location + ": " + reason;
    }
}
