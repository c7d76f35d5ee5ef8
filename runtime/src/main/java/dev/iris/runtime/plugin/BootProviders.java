package dev.iris.runtime.plugin;

import dev.iris.api.IrisPlugin;

import java.lang.module.ResolvedModule;
import java.net.URI;
import java.security.CodeSource;
import java.util.Iterator;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The providers that ship with the launcher: modules on the boot module path (the
 * distribution's {@code lib/}) and, when run from a class path, jars with
 * {@code META-INF/services} entries.
 */
final class BootProviders {

    private BootProviders() {
    }

    static void discover(PluginCatalog catalog) {
        ClassLoader loader = PluginRegistry.class.getClassLoader();
        for (PluginKind kind : PluginKind.values()) {
            load(catalog, kind, ServiceLoader.load(kind.spi(), loader).iterator(), null, "module path");
        }
    }

    /**
     * Instantiates every provider the iterator yields; a provider that fails is recorded as a
     * problem and the others still load. When {@code onlyLayer} is set, providers from other
     * layers (the parents) are skipped: they were counted already. {@code where} names the
     * origin in problems, since a provider that fails to load has no class to ask.
     */
    static void load(PluginCatalog catalog, PluginKind kind, Iterator<? extends IrisPlugin> it, ModuleLayer onlyLayer,
                     String where) {
        while (true) {
            IrisPlugin p;
            try {
                if (!it.hasNext()) {
                    return;
                }
                p = it.next();
            } catch (ServiceConfigurationError | LinkageError e) {
                catalog.problem(where, "cannot load a " + kind.label() + " provider: " + causeText(e));
                continue;
            }
            Module m = p.getClass().getModule();
            if (onlyLayer != null && m.getLayer() != onlyLayer) {
                continue;
            }
            catalog.add(info(kind, p));
        }
    }

    static PluginInfo info(PluginKind kind, IrisPlugin p) {
        Module m = p.getClass().getModule();
        String module = m.isNamed() ? m.getName() : "unnamed";
        String version = m.isNamed() ? m.getDescriptor().rawVersion().orElse("") : "";
        return new PluginInfo(kind, p.name(), module, version, location(p.getClass()), p);
    }

    /** The jar or directory a class came from. */
    static String location(Class<?> c) {
        Module m = c.getModule();
        if (m.isNamed() && m.getLayer() != null) {
            var found = m.getLayer().configuration().findModule(m.getName())
                    .map(ResolvedModule::reference).flatMap(r -> r.location());
            if (found.isPresent()) {
                return pathOf(found.get());
            }
        }
        CodeSource cs = c.getProtectionDomain().getCodeSource();
        if (cs != null && cs.getLocation() != null) {
            try {
                return pathOf(cs.getLocation().toURI());
            } catch (java.net.URISyntaxException e) {
                return cs.getLocation().toString();
            }
        }
        return "unknown";
    }

    private static String pathOf(URI uri) {
        return "file".equals(uri.getScheme()) ? java.nio.file.Path.of(uri).toString() : uri.toString();
    }

    static String causeText(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            sb.append(": ").append(c.getClass().getSimpleName()).append(' ').append(c.getMessage());
        }
        return sb.toString();
    }
}
