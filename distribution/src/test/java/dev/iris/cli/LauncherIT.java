package dev.iris.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the assembled launcher, {@code distribution/target/iris/bin/iris}, as an operator would. */
class LauncherIT {

    private static final Map<String, String> KIND_LABELS = Map.of(
            "dev.iris.api.model.ModelArchitecture", "model",
            "dev.iris.api.chat.ChatTemplate", "chat-template",
            "dev.iris.api.compute.ComputeBackend", "compute-backend",
            "dev.iris.api.attention.AttentionBackend", "attention-backend",
            "dev.iris.api.sampling.Sampler", "sampler");

    static Path home;
    static Path examplePlugin;

    @TempDir
    Path plugins;

    record Result(int exitCode, String out, String err) {
    }

    @BeforeAll
    static void locate() {
        home = Path.of(System.getProperty("iris.home"));
        examplePlugin = Path.of(System.getProperty("example.plugin.jar"));
        assertTrue(Files.isExecutable(home.resolve("bin/iris")), "bin/iris is missing or not executable");
    }

    static Result iris(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/iris").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not exit");
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void listsEveryProviderThatTheJarsInLibDeclare() throws Exception {
        Result r = iris("plugins");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("KIND"), r.out());
        int declared = 0;
        for (ModuleReference ref : ModuleFinder.of(home.resolve("lib")).findAll()) {
            for (ModuleDescriptor.Provides p : ref.descriptor().provides()) {
                String label = KIND_LABELS.get(p.service());
                if (label == null) {
                    continue;
                }
                declared += p.providers().size();
                String module = ref.descriptor().name();
                assertTrue(r.out().lines().anyMatch(l -> l.startsWith(label + " ") && l.contains(" " + module + " ")),
                        "no " + label + " from " + module + " in:\n" + r.out());
            }
        }
        assertTrue(r.out().contains(declared + " provider"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jpms", "osgi"})
    void findsAPluginJarThatAnOperatorDropsIntoThePluginsDirectory(String host) throws Exception {
        Path jar = Files.copy(examplePlugin, plugins.resolve("example-template-plugin.jar"));
        Result r = iris("plugins", "--plugins-dir", plugins.toString(), "--plugin-host", host);
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("chat-template\\s+example-chatml\\s+com\\.example\\.iris\\.template\\s+1\\.0\\.0\\s+" + java.util.regex.Pattern.quote(jar.toString()))),
                r.out());
        assertTrue(r.out().contains("plugin host: " + host), r.out());
    }

    @Test
    void aDuplicateNameStopsTheLauncherAndNamesBothJars() throws Exception {
        Path a = Files.createDirectories(plugins.resolve("a"));
        Path b = Files.createDirectories(plugins.resolve("b"));
        Files.copy(examplePlugin, a.resolve("first.jar"));
        Files.copy(examplePlugin, b.resolve("second.jar"));
        Result r = iris("plugins", "--plugins-dir", plugins.toString());
        assertEquals(1, r.exitCode(), r.out());
        assertTrue(r.err().contains("first.jar") && r.err().contains("second.jar") && r.err().contains("'example-chatml'"),
                r.err());
    }

    @Test
    void aCorruptJarIsReportedAndTheRestStillLoads() throws Exception {
        Files.writeString(plugins.resolve("broken.jar"), "not a jar");
        Files.copy(examplePlugin, plugins.resolve("good.jar"));
        Result r = iris("plugins", "--plugins-dir", plugins.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("example-chatml"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("skipped: ") && l.contains("broken.jar")), r.out());
    }

    @Test
    void anUnknownCommandExitsWithTwo() throws Exception {
        Result r = iris("frobnicate");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("unknown command 'frobnicate'"), r.err());
    }
}
