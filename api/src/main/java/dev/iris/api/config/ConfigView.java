package dev.iris.api.config;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A read-only view of a JSON configuration object such as a model's {@code config.json} or
 * {@code preprocessor_config.json}, so that plugins read configuration without a JSON library.
 *
 * <p>Keys are looked up in this object only; nested objects are reached with {@link #object}.
 * Numbers convert between integer and floating forms when the value is exactly representable.
 * The {@code require*} methods throw {@link ConfigException} naming the file and the key path
 * when a key is missing or has the wrong type, so a bad config gives a clear start-up error.
 */
public interface ConfigView {

    /** Where this view came from, for error messages (e.g. {@code /models/x/config.json#text_config}). */
    String source();

    /** The keys of this object. */
    Set<String> keys();

    /** True when the key is present and not JSON {@code null}. */
    boolean has(String key);

    /** A string value, if present. */
    Optional<String> string(String key);

    /** An integer value, if present. */
    Optional<Long> integer(String key);

    /** A number value, if present. */
    Optional<Double> number(String key);

    /** A boolean value, if present. */
    Optional<Boolean> bool(String key);

    /** A nested object, if present. */
    Optional<ConfigView> object(String key);

    /** An array of integers, if present. */
    Optional<List<Long>> integers(String key);

    /** One integer or an array of integers (as {@code eos_token_id} may be), as a list, if present. */
    Optional<List<Long>> integerOrIntegers(String key);

    /** An array of numbers, if present. */
    Optional<List<Double>> numbers(String key);

    /** An array of strings, if present. */
    Optional<List<String>> strings(String key);

    /** An array of objects, if present. */
    Optional<List<ConfigView>> objects(String key);

    /** An array of arrays of integers (e.g. {@code image_grid_pinpoints}), if present. */
    Optional<List<List<Long>>> integerMatrix(String key);

    /** A required string. */
    default String requireString(String key) {
        return string(key).orElseThrow(() -> ConfigException.missing(this, key, "string"));
    }

    /** A required integer that fits in an {@code int}. */
    default int requireInt(String key) {
        long v = integer(key).orElseThrow(() -> ConfigException.missing(this, key, "integer"));
        if (v != (int) v) {
            throw new ConfigException(source() + ": '" + key + "' = " + v + " does not fit in an int");
        }
        return (int) v;
    }

    /** A required number. */
    default double requireNumber(String key) {
        return number(key).orElseThrow(() -> ConfigException.missing(this, key, "number"));
    }

    /** A required nested object. */
    default ConfigView requireObject(String key) {
        return object(key).orElseThrow(() -> ConfigException.missing(this, key, "object"));
    }

    /** An integer with a default. */
    default int intOr(String key, int fallback) {
        return has(key) ? requireInt(key) : fallback;
    }

    /** A number with a default. */
    default double numberOr(String key, double fallback) {
        return number(key).orElse(fallback);
    }

    /** A boolean with a default. */
    default boolean boolOr(String key, boolean fallback) {
        return bool(key).orElse(fallback);
    }

    /** A string with a default. */
    default String stringOr(String key, String fallback) {
        return string(key).orElse(fallback);
    }
}
