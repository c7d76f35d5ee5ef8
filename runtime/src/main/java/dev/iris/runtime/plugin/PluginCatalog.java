package dev.iris.runtime.plugin;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** The table of providers by kind and name, the problems met, and the listeners to tell. Thread-safe. */
final class PluginCatalog {

    private static final System.Logger LOG = System.getLogger(PluginRegistry.class.getName());

    private final Map<PluginKind, Map<String, PluginInfo>> byKind = new EnumMap<>(PluginKind.class);
    private final List<PluginProblem> problems = new CopyOnWriteArrayList<>();
    private final List<PluginListener> listeners = new CopyOnWriteArrayList<>();

    PluginCatalog() {
        for (PluginKind k : PluginKind.values()) {
            byKind.put(k, new LinkedHashMap<>());
        }
    }

    /** Adds a provider found at start-up; a name clash is fatal. */
    synchronized void add(PluginInfo info) {
        PluginInfo existing = byKind.get(info.kind()).putIfAbsent(info.name(), info);
        if (existing != null) {
            throw new PluginConflictException(existing, info);
        }
    }

    /**
     * Applies a change while running: removes {@code removed}, then adds {@code added} except those
     * whose name is taken (reported as problems, the running provider stays). Tells the listeners.
     */
    void change(Collection<PluginInfo> added, Collection<PluginInfo> removed) {
        List<PluginInfo> reallyAdded = new ArrayList<>();
        List<PluginInfo> reallyRemoved = new ArrayList<>();
        synchronized (this) {
            for (PluginInfo info : removed) {
                if (byKind.get(info.kind()).remove(info.name(), info)) {
                    reallyRemoved.add(info);
                }
            }
            for (PluginInfo info : added) {
                PluginInfo existing = byKind.get(info.kind()).putIfAbsent(info.name(), info);
                if (existing == null) {
                    reallyAdded.add(info);
                } else {
                    problem(info.location(), new PluginConflictException(existing, info).getMessage()
                            + "; the new one is ignored");
                }
            }
        }
        if (!reallyAdded.isEmpty() || !reallyRemoved.isEmpty()) {
            for (PluginInfo info : reallyRemoved) {
                LOG.log(Level.INFO, "plugin removed: {0}", info.describe());
            }
            for (PluginInfo info : reallyAdded) {
                LOG.log(Level.INFO, "plugin added: {0}", info.describe());
            }
            for (PluginListener l : listeners) {
                l.pluginsChanged(List.copyOf(reallyAdded), List.copyOf(reallyRemoved));
            }
        }
    }

    /** Records and logs a skipped jar or provider. */
    void problem(String location, String reason) {
        PluginProblem p = new PluginProblem(location, reason);
        problems.add(p);
        LOG.log(Level.WARNING, "plugin skipped: {0}", p);
    }

    synchronized List<PluginInfo> all() {
        List<PluginInfo> out = new ArrayList<>();
        byKind.values().forEach(m -> out.addAll(m.values()));
        return out;
    }

    synchronized PluginInfo find(PluginKind kind, String name) {
        return byKind.get(kind).get(name);
    }

    synchronized List<PluginInfo> ofKind(PluginKind kind) {
        return List.copyOf(byKind.get(kind).values());
    }

    List<PluginProblem> problems() {
        return List.copyOf(problems);
    }

    void addListener(PluginListener l) {
        listeners.add(l);
    }

    void removeListener(PluginListener l) {
        listeners.remove(l);
    }
}
