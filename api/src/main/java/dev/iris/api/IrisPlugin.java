package dev.iris.api;

/**
 * What every Iris service provider has in common: a name that is unique among the providers
 * of the same kind (SPI).
 *
 * <p>The runtime finds providers with {@link java.util.ServiceLoader} (on the module path, in a
 * plugin layer, or inside an OSGi bundle) and refers to them by {@link #name()} — for example
 * {@code --chat-template qwen2-vl} or {@code --device cpu}. Two providers of one kind with the
 * same name are a configuration error that stops the server at start-up.
 *
 * <p>Providers are instantiated once per discovery, through a public no-argument constructor or
 * a public static {@code provider()} method, and must be safe to call from several threads.
 */
public interface IrisPlugin {

    /**
     * The name operators use to select this provider: lower case, no spaces, stable across
     * versions (for example {@code "cpu"}, {@code "qwen2-vl"}, {@code "llama_3_vision"}).
     */
    String name();

    /** One line for listings such as {@code iris plugins}; the name by default. */
    default String description() {
        return name();
    }
}
