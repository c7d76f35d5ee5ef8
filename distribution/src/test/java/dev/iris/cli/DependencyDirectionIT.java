package dev.iris.cli;

import org.junit.jupiter.api.Test;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DESIGN.md's arrows, checked on the module descriptors of the jars the distribution ships:
 * {@code api} requires nothing but the JDK, and no plugin module reaches the runtime or the
 * HTTP layer, directly or through another module.
 */
class DependencyDirectionIT {

    private static final List<String> PLUGIN_PREFIXES =
            List.of("dev.iris.modelkit", "dev.iris.backend.", "dev.iris.model.", "dev.iris.templates");
    private static final Set<String> FORBIDDEN_TO_PLUGINS = Set.of("dev.iris.runtime", "dev.iris.http");

    private final Map<String, ModuleDescriptor> modules = new HashMap<>();

    DependencyDirectionIT() {
        for (ModuleReference ref : ModuleFinder.of(Path.of(System.getProperty("iris.home"), "lib")).findAll()) {
            modules.put(ref.descriptor().name(), ref.descriptor());
        }
    }

    @Test
    void apiRequiresOnlyJdkModules() {
        ModuleDescriptor api = modules.get("dev.iris.api");
        for (ModuleDescriptor.Requires r : api.requires()) {
            assertTrue(r.name().startsWith("java.") || r.name().startsWith("jdk."),
                    "dev.iris.api requires " + r.name());
        }
    }

    @Test
    void noPluginModuleReachesTheRuntimeOrTheHttpLayer() {
        int plugins = 0;
        for (String name : modules.keySet()) {
            if (PLUGIN_PREFIXES.stream().noneMatch(name::startsWith)) {
                continue;
            }
            plugins++;
            Set<String> reached = reachable(name);
            reached.retainAll(FORBIDDEN_TO_PLUGINS);
            assertEquals(Set.of(), reached, name + " depends on the runtime or http");
        }
        assertEquals(7, plugins, "modelkit, 2 backends, 3 model families and templates: " + modules.keySet());
    }

    private Set<String> reachable(String from) {
        Set<String> seen = new HashSet<>();
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(from));
        while (!todo.isEmpty()) {
            ModuleDescriptor d = modules.get(todo.pop());
            if (d == null) {
                continue; // a JDK module
            }
            for (ModuleDescriptor.Requires r : d.requires()) {
                if (seen.add(r.name())) {
                    todo.push(r.name());
                }
            }
        }
        return seen;
    }
}
