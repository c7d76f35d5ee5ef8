package dev.iris.runtime.plugin;

import dev.iris.api.IrisPlugin;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.FrameworkWiring;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Hosts plugin jars as bundles in an embedded Apache Felix framework. The system bundle exports
 * the API packages; each jar in the plugins directory is installed and started, and the classes
 * its {@code META-INF/services} files name become providers. A watcher then polls the directory:
 * a jar added, replaced or removed while the server runs is installed, updated or uninstalled,
 * and the catalog changes with it. A file must keep its size and modification time for one poll
 * before it is read, so a jar still being copied is not taken half-written.
 */
final class FelixPluginHost implements AutoCloseable {

    /** What was last seen of a jar file. */
    private record Stamp(long size, long modified) {
    }

    /** A jar the host has dealt with: installed (bundle not null) or refused at this stamp. */
    private record Deployed(Stamp stamp, Bundle bundle, List<PluginInfo> providers) {
    }

    private final PluginCatalog catalog;
    private final Path pluginsDir;
    private final Path storage;
    private final Framework framework;
    private final Map<Path, Deployed> deployed = new HashMap<>();
    private final Map<Path, Stamp> pending = new HashMap<>();
    private final ScheduledExecutorService watcher;

    FelixPluginHost(PluginCatalog catalog, Path pluginsDir) throws IOException {
        this.catalog = catalog;
        this.pluginsDir = pluginsDir;
        this.storage = Files.createTempDirectory("iris-felix-");
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, HostPackages.systemPackagesExtra());
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, FrameworkFactory.class.getClassLoader())
                .findFirst().orElseThrow(() -> new IOException("no OSGi framework (Apache Felix) on the module path"));
        this.framework = factory.newFramework(config);
        try {
            framework.start();
        } catch (BundleException e) {
            throw new IOException("cannot start the OSGi framework: " + e.getMessage(), e);
        }
        this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "iris-plugin-watcher");
            t.setDaemon(true);
            return t;
        });
    }

    /** Installs every jar present now (a duplicate name is fatal), then starts watching. */
    void start(java.time.Duration pollInterval) {
        for (Path jar : jarsInDirectory().keySet()) {
            Deployed d = install(jar, stampOf(jar));
            deployed.put(jar, d);
            d.providers().forEach(catalog::add);
        }
        long ms = pollInterval.toMillis();
        watcher.scheduleWithFixedDelay(this::pollSafely, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException e) {
            catalog.problem(pluginsDir.toString(), "plugin directory scan failed: " + e);
        }
    }

    /** One look at the directory: removals first, then jars whose stamp has been stable for one poll. */
    private void poll() {
        Map<Path, Stamp> present = jarsInDirectory();
        for (Path jar : List.copyOf(deployed.keySet())) {
            if (!present.containsKey(jar)) {
                Deployed gone = deployed.remove(jar);
                uninstall(gone);
                catalog.change(List.of(), gone.providers());
            }
        }
        pending.keySet().retainAll(present.keySet());
        for (Map.Entry<Path, Stamp> e : present.entrySet()) {
            Path jar = e.getKey();
            Stamp now = e.getValue();
            Deployed current = deployed.get(jar);
            if (current != null && current.stamp().equals(now)) {
                continue;
            }
            if (!now.equals(pending.put(jar, now))) {
                continue; // changed since the last poll: wait until it holds still
            }
            pending.remove(jar);
            if (current != null) {
                uninstall(current);
            }
            Deployed next = install(jar, now);
            deployed.put(jar, next);
            catalog.change(next.providers(), current == null ? List.of() : current.providers());
        }
    }

    /** Installs and starts one jar and reads its providers; problems are recorded and yield no providers. */
    private Deployed install(Path jar, Stamp stamp) {
        BundleContext ctx = framework.getBundleContext();
        Bundle bundle = null;
        try (InputStream in = Files.newInputStream(jar)) {
            bundle = ctx.installBundle(jar.toUri().toString(), in);
            if (bundle.getHeaders().get(Constants.BUNDLE_SYMBOLICNAME) == null) {
                throw new BundleException("not an OSGi bundle (no Bundle-SymbolicName header); build it with bnd");
            }
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                bundle.start();
            }
            return new Deployed(stamp, bundle, providersOf(jar, bundle));
        } catch (IOException | BundleException | RuntimeException e) {
            catalog.problem(jar.toString(), "cannot install as a bundle: " + BootProviders.causeText(e));
            if (bundle != null) {
                try {
                    bundle.uninstall();
                } catch (BundleException ignored) {
                    // Already reported; the framework drops the bundle on shutdown anyway.
                }
            }
            return new Deployed(stamp, null, List.of());
        }
    }

    private void uninstall(Deployed d) {
        if (d.bundle() == null) {
            return;
        }
        try {
            d.bundle().uninstall();
            refresh(d.bundle());
        } catch (BundleException e) {
            catalog.problem(d.bundle().getLocation(), "cannot uninstall: " + e.getMessage());
        }
    }

    /** Drops the wiring of an uninstalled bundle so its class loader can go. */
    private void refresh(Bundle bundle) {
        CountDownLatch done = new CountDownLatch(1);
        framework.adapt(FrameworkWiring.class).refreshBundles(List.of(bundle), event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        try {
            done.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The providers named in the bundle's {@code META-INF/services} files, one per line. */
    private List<PluginInfo> providersOf(Path jar, Bundle bundle) throws IOException {
        List<PluginInfo> found = new ArrayList<>();
        String module = bundle.getSymbolicName();
        String version = bundle.getVersion().toString();
        for (PluginKind kind : PluginKind.values()) {
            URL entry = bundle.getEntry("META-INF/services/" + kind.spi().getName());
            if (entry == null) {
                continue;
            }
            for (String className : serviceLines(entry)) {
                try {
                    IrisPlugin p = ProviderInstances.instantiate(bundle.loadClass(className), kind.spi());
                    found.add(new PluginInfo(kind, p.name(), module, version, jar.toString(), p));
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    catalog.problem(jar.toString(), "cannot create " + kind.label() + " provider " + className
                            + ": " + e);
                }
            }
        }
        return found;
    }

    private static List<String> serviceLines(URL entry) throws IOException {
        List<String> names = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(entry.openStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                int hash = line.indexOf('#');
                String name = (hash >= 0 ? line.substring(0, hash) : line).trim();
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private Map<Path, Stamp> jarsInDirectory() {
        Map<Path, Stamp> jars = new HashMap<>();
        if (!Files.isDirectory(pluginsDir)) {
            return jars;
        }
        try (Stream<Path> s = Files.list(pluginsDir)) {
            s.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p))
                    .sorted()
                    .forEach(p -> jars.put(p, stampOf(p)));
        } catch (IOException e) {
            catalog.problem(pluginsDir.toString(), "cannot list: " + e.getMessage());
        }
        return jars;
    }

    private static Stamp stampOf(Path jar) {
        try {
            return new Stamp(Files.size(jar), Files.getLastModifiedTime(jar).toMillis());
        } catch (IOException e) {
            return new Stamp(-1, -1); // vanished between listing and stat: seen as changed
        }
    }

    @Override
    public void close() {
        watcher.shutdownNow();
        try {
            watcher.awaitTermination(10, TimeUnit.SECONDS);
            framework.stop();
            framework.waitForStop(10_000);
        } catch (BundleException e) {
            catalog.problem("OSGi framework", "did not stop cleanly: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(storage);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temporary directory; the OS cleans up what is left.
        }
    }
}
