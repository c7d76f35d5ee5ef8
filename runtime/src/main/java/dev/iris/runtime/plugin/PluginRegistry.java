package dev.iris.runtime.plugin;

import dev.iris.api.IrisPlugin;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every provider of every Iris service interface, by kind and name: those on the launcher's
 * module path, plus those in the plugins directory, loaded by the chosen host (a JPMS layer, or
 * Apache Felix with hot deployment). Thread-safe; close it to stop the host.
 */
public final class PluginRegistry implements AutoCloseable {

    private final PluginCatalog catalog;
    private final FelixPluginHost felix;

    private PluginRegistry(PluginCatalog catalog, FelixPluginHost felix) {
        this.catalog = catalog;
        this.felix = felix;
    }

    /**
     * Discovers all providers.
     *
     * @throws PluginConflictException when two providers of one kind share a name
     * @throws IOException             when the plugins directory cannot be read or the OSGi
     *                                 framework cannot start
     */
    public static PluginRegistry open(PluginSettings settings) throws IOException {
        PluginCatalog catalog = new PluginCatalog();
        BootProviders.discover(catalog);
        if (settings.host() == PluginHostType.JPMS) {
            new JpmsPluginHost(catalog).start(settings.pluginsDir());
            return new PluginRegistry(catalog, null);
        }
        FelixPluginHost felix = new FelixPluginHost(catalog, settings.pluginsDir());
        try {
            felix.start(settings.pollInterval());
        } catch (RuntimeException e) {
            felix.close();
            throw e;
        }
        return new PluginRegistry(catalog, felix);
    }

    /** All providers, grouped by kind in {@link PluginKind} order. */
    public List<PluginInfo> all() {
        return catalog.all();
    }

    /** The providers of one kind. */
    public List<PluginInfo> ofKind(PluginKind kind) {
        return catalog.ofKind(kind);
    }

    /** The provider of {@code spi} named {@code name}, if any. */
    public <T extends IrisPlugin> Optional<T> find(Class<T> spi, String name) {
        PluginInfo info = catalog.find(PluginKind.of(spi), name);
        return info == null ? Optional.empty() : Optional.of(spi.cast(info.provider()));
    }

    /**
     * The provider of {@code spi} named {@code name}.
     *
     * @throws IllegalArgumentException naming the kind and listing the available names when there is none
     */
    public <T extends IrisPlugin> T require(Class<T> spi, String name) {
        return find(spi, name).orElseThrow(() -> {
            PluginKind kind = PluginKind.of(spi);
            String known = ofKind(kind).stream().map(PluginInfo::name).sorted().collect(Collectors.joining(", "));
            return new IllegalArgumentException("no " + kind.label() + " named '" + name + "' (available: "
                    + (known.isEmpty() ? "none" : known) + ")");
        });
    }

    /** Jars and providers that were skipped, with the reasons (also logged). */
    public List<PluginProblem> problems() {
        return catalog.problems();
    }

    /** Registers a listener for providers added or removed while running (OSGi host only). */
    public void addListener(PluginListener listener) {
        catalog.addListener(listener);
    }

    /** Removes a listener. */
    public void removeListener(PluginListener listener) {
        catalog.removeListener(listener);
    }

    /** Stops watching the plugins directory and the OSGi framework, if any. */
    @Override
    public void close() {
        if (felix != null) {
            felix.close();
        }
    }
}
