package dev.iris.runtime.plugin;

import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolutionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Loads the plugins directory as child module layers of the layer that holds the API: the jars
 * at the top of the directory form one layer, and each sub-directory forms a layer of its own (a
 * plugin with the libraries it bundles, kept apart from other plugins' copies). A jar that is
 * corrupt, not a valid module, a second copy of a module, or that cannot be resolved is skipped
 * with its reason; the others load.
 */
final class JpmsPluginHost {

    private final PluginCatalog catalog;

    JpmsPluginHost(PluginCatalog catalog) {
        this.catalog = catalog;
    }

    void start(Path pluginsDir) throws IOException {
        if (!Files.isDirectory(pluginsDir)) {
            return;
        }
        List<Path> topJars = new ArrayList<>();
        List<Path> groups = new ArrayList<>();
        try (Stream<Path> entries = Files.list(pluginsDir)) {
            for (Path p : entries.sorted().toList()) {
                if (Files.isDirectory(p)) {
                    groups.add(p);
                } else if (p.getFileName().toString().endsWith(".jar")) {
                    topJars.add(p);
                }
            }
        }
        loadLayer(topJars);
        for (Path dir : groups) {
            try (Stream<Path> jars = Files.list(dir)) {
                loadLayer(jars.filter(j -> j.getFileName().toString().endsWith(".jar")).sorted().toList());
            }
        }
    }

    private void loadLayer(List<Path> jars) {
        Map<String, Path> modules = readableModules(jars);
        if (modules.isEmpty()) {
            return;
        }
        ModuleLayer parent = dev.iris.api.IrisPlugin.class.getModule().getLayer();
        if (parent == null) {
            for (Path jar : modules.values()) {
                catalog.problem(jar.toString(), "the JPMS plugin host needs dev.iris.api on the module path");
            }
            return;
        }
        dropUnresolvable(modules, parent);
        if (modules.isEmpty()) {
            return;
        }
        Configuration cf = parent.configuration().resolveAndBind(
                ModuleFinder.of(modules.values().toArray(Path[]::new)), ModuleFinder.of(), modules.keySet());
        ModuleLayer.Controller controller =
                ModuleLayer.defineModulesWithOneLoader(cf, List.of(parent), PluginRegistry.class.getClassLoader());
        ModuleLayer layer = controller.layer();
        enableNativeAccess(controller, layer);
        ClassLoader tccl = Thread.currentThread().getContextClassLoader();
        try {
            // Libraries such as DJL and ImageIO look up resources through the context loader;
            // all modules of the layer share one loader.
            Thread.currentThread().setContextClassLoader(layer.modules().iterator().next().getClassLoader());
            for (PluginKind kind : PluginKind.values()) {
                BootProviders.load(catalog, kind, ServiceLoader.load(layer, kind.spi()).iterator(), layer,
                        String.join(", ", modules.values().stream().map(Path::toString).toList()));
            }
        } finally {
            Thread.currentThread().setContextClassLoader(tccl);
        }
    }

    /** The jars that open as zip files and describe exactly one module not seen before, by module name. */
    private Map<String, Path> readableModules(List<Path> jars) {
        Map<String, Path> modules = new LinkedHashMap<>();
        for (Path jar : jars) {
            try (JarFile ignored = new JarFile(jar.toFile())) {
                Set<ModuleReference> refs = ModuleFinder.of(jar).findAll();
                if (refs.size() != 1) {
                    catalog.problem(jar.toString(), "not a module jar");
                    continue;
                }
                String name = refs.iterator().next().descriptor().name();
                Path first = modules.putIfAbsent(name, jar);
                if (first != null) {
                    catalog.problem(jar.toString(), "module " + name + " is already provided by " + first);
                }
            } catch (IOException e) {
                catalog.problem(jar.toString(), "not a readable jar (" + e.getMessage() + ")");
            } catch (FindException e) {
                catalog.problem(jar.toString(), "not a valid module: " + BootProviders.causeText(e));
            }
        }
        return modules;
    }

    /** Removes, with a problem each, the modules that cannot be resolved (missing requirements, cycles). */
    private void dropUnresolvable(Map<String, Path> modules, ModuleLayer parent) {
        boolean changed = true;
        while (changed && !modules.isEmpty()) {
            changed = false;
            ModuleFinder current = ModuleFinder.of(modules.values().toArray(Path[]::new));
            for (String name : List.copyOf(modules.keySet())) {
                try {
                    // Without service binding, so that one bad provider is not blamed on the others.
                    parent.configuration().resolve(current, ModuleFinder.of(), Set.of(name));
                } catch (ResolutionException | FindException e) {
                    catalog.problem(modules.remove(name).toString(), "cannot be resolved: " + e.getMessage());
                    changed = true;
                    break;
                }
            }
        }
    }

    private void enableNativeAccess(ModuleLayer.Controller controller, ModuleLayer layer) {
        for (Module m : layer.modules()) {
            try {
                controller.enableNativeAccess(m);
            } catch (IllegalCallerException e) {
                // The host itself lacks native access (no --enable-native-access=dev.iris.runtime):
                // plugins still load, and the JDK warns if one of them uses native code.
                return;
            }
        }
    }
}
