package dev.iris.api.config;

/** A configuration file lacks a key or holds a value of the wrong type; the message names both. */
public class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    static ConfigException missing(ConfigView view, String key, String type) {
        String why = view.has(key) ? "is not a " + type : "is missing (expected a " + type + ")";
        return new ConfigException(view.source() + ": '" + key + "' " + why);
    }
}
