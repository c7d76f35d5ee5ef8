package dev.iris.api.config;

/** A configuration file lacks a key or holds a value of the wrong type; the message names both. */
public class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    static ConfigException missing(ConfigView view, String key, String type) {
        String why = view.has(key) ? "is not " + withArticle(type) : "is missing (expected " + withArticle(type) + ")";
        return new ConfigException(view.source() + ": '" + key + "' " + why);
    }

    /** A key holds a value of the wrong type: {@code <source>: '<key>' is not an integer (got "big")}. */
    public static ConfigException wrongType(String source, String key, String type, Object value) {
        return new ConfigException(source + ": '" + key + "' is not " + withArticle(type) + " (got " + value + ")");
    }

    private static String withArticle(String noun) {
        return ("aeiou".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ") + noun;
    }
}
