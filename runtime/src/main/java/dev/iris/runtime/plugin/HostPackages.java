package dev.iris.runtime.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ResolvedModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The packages the host shares with OSGi plugin bundles: those that the {@code api} jar (and the
 * {@code modelkit} jar, when the launcher has it) export in their bundle manifests. Taking bnd's
 * own {@code Export-Package} header keeps the versions plugins import and the host offers in step.
 */
final class HostPackages {

    private HostPackages() {
    }

    /** The value of {@code org.osgi.framework.system.packages.extra}. */
    static String systemPackagesExtra() throws IOException {
        List<String> exports = new ArrayList<>();
        Path api = Path.of(BootProviders.location(dev.iris.api.IrisPlugin.class));
        exports.add(exportsOf(api).orElseThrow(
                () -> new IOException(api + " has no Export-Package header: the api jar must be an OSGi bundle")));
        ModuleLayer layer = dev.iris.api.IrisPlugin.class.getModule().getLayer();
        if (layer != null) {
            Optional<Path> modelkit = layer.configuration().findModule("dev.iris.modelkit")
                    .map(ResolvedModule::reference).flatMap(r -> r.location()).map(Path::of);
            if (modelkit.isPresent()) {
                exportsOf(modelkit.get()).ifPresent(exports::add);
            }
        }
        return String.join(",", exports);
    }

    /** The Export-Package header of a jar or of a class directory's {@code META-INF/MANIFEST.MF}. */
    private static Optional<String> exportsOf(Path where) throws IOException {
        Manifest mf;
        if (Files.isDirectory(where)) {
            Path file = where.resolve("META-INF/MANIFEST.MF");
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            try (InputStream in = Files.newInputStream(file)) {
                mf = new Manifest(in);
            }
        } else {
            try (JarFile jar = new JarFile(where.toFile())) {
                mf = jar.getManifest();
            }
        }
        return mf == null ? Optional.empty() : Optional.ofNullable(mf.getMainAttributes().getValue("Export-Package"));
    }
}
