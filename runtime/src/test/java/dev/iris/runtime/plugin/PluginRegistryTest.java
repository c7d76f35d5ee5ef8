package dev.iris.runtime.plugin;

import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ChatTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Discovery behaviour shared by both hosts, with real jars built by the test. */
class PluginRegistryTest {

    @TempDir
    Path plugins;

    private static PluginRegistry open(Path dir, PluginHostType host) throws IOException {
        return PluginRegistry.open(new PluginSettings(dir, host, Duration.ofMillis(50)));
    }

    @ParameterizedTest
    @EnumSource(PluginHostType.class)
    void aJarDroppedIntoThePluginsDirectoryIsDiscovered(PluginHostType host) throws IOException {
        Path jar = TestPluginJars.templatePlugin(plugins, "greeting-plugin.jar", "test.greeting", "greeting", "hello");

        try (PluginRegistry registry = open(plugins, host)) {
            PluginInfo info = registry.ofKind(PluginKind.CHAT_TEMPLATE).getFirst();
            assertEquals("greeting", info.name());
            assertEquals("test.greeting", info.module());
            assertEquals(jar.toString(), info.location());
            ChatTemplate t = registry.require(ChatTemplate.class, "greeting");
            assertEquals("hello user: hi\nassistant:",
                    t.render(List.of(ChatMessage.text("user", "hi")), true).text());
            assertTrue(registry.problems().isEmpty(), () -> registry.problems().toString());
        }
    }

    @ParameterizedTest
    @EnumSource(PluginHostType.class)
    void twoProvidersWithOneNameFailWithBothJarNames(PluginHostType host) throws IOException {
        TestPluginJars.templatePlugin(plugins, "first-plugin.jar", "test.first", "same", "a");
        TestPluginJars.templatePlugin(plugins, "second-plugin.jar", "test.second", "same", "b");

        PluginConflictException e = assertThrows(PluginConflictException.class, () -> open(plugins, host).close());
        assertTrue(e.getMessage().contains("first-plugin.jar"), e.getMessage());
        assertTrue(e.getMessage().contains("second-plugin.jar"), e.getMessage());
        assertTrue(e.getMessage().contains("'same'"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(PluginHostType.class)
    void aCorruptJarIsSkippedWithItsReasonAndTheGoodOneBesideItLoads(PluginHostType host) throws IOException {
        TestPluginJars.corruptJar(plugins, "broken.jar");
        TestPluginJars.templatePlugin(plugins, "good.jar", "test.good", "good", "hi");

        try (PluginRegistry registry = open(plugins, host)) {
            assertTrue(registry.find(ChatTemplate.class, "good").isPresent());
            List<PluginProblem> problems = registry.problems();
            assertEquals(1, problems.size(), problems::toString);
            assertTrue(problems.getFirst().location().endsWith("broken.jar"), problems::toString);
            assertTrue(problems.getFirst().reason().contains("zip") || problems.getFirst().reason().contains("jar"),
                    problems::toString);
        }
    }

    @ParameterizedTest
    @EnumSource(PluginHostType.class)
    void aJarThatCannotBeResolvedIsSkippedWhileTheOthersLoad(PluginHostType host) throws IOException {
        TestPluginJars.pluginWithMissingRequirement(plugins, "needs-more.jar", "test.needy", "needy");
        TestPluginJars.templatePlugin(plugins, "good.jar", "test.good", "good", "hi");

        try (PluginRegistry registry = open(plugins, host)) {
            assertTrue(registry.find(ChatTemplate.class, "good").isPresent());
            if (host == PluginHostType.JPMS) {
                // OSGi ignores module-info, so there the jar loads; the layer host must refuse it.
                assertTrue(registry.find(ChatTemplate.class, "needy").isEmpty());
                PluginProblem p = registry.problems().getFirst();
                assertTrue(p.location().endsWith("needs-more.jar") && p.reason().contains("test.absent"),
                        p::toString);
            }
        }
    }

    @Test
    void requireNamesTheAvailableProvidersWhenTheNameIsUnknown() throws IOException {
        TestPluginJars.templatePlugin(plugins, "good.jar", "test.good", "good", "hi");
        try (PluginRegistry registry = open(plugins, PluginHostType.JPMS)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> registry.require(ChatTemplate.class, "nope"));
            assertEquals("no chat-template named 'nope' (available: good)", e.getMessage());
        }
    }

    @Test
    void aMissingPluginsDirectoryMeansNoPlugins() throws IOException {
        try (PluginRegistry registry = open(plugins.resolve("absent"), PluginHostType.JPMS)) {
            assertTrue(registry.ofKind(PluginKind.CHAT_TEMPLATE).isEmpty());
            assertTrue(registry.problems().isEmpty());
        }
    }

    @Test
    void eachSubdirectoryIsALayerOfItsOwnSoPluginsMayBundleTheSameModuleName() throws IOException {
        TestPluginJars.templatePlugin(plugins.resolve("one"), "p.jar", "test.shared", "one", "1");
        TestPluginJars.templatePlugin(plugins.resolve("two"), "p.jar", "test.shared", "two", "2");

        try (PluginRegistry registry = open(plugins, PluginHostType.JPMS)) {
            assertTrue(registry.find(ChatTemplate.class, "one").isPresent());
            assertTrue(registry.find(ChatTemplate.class, "two").isPresent());
        }
    }

    @Test
    void twoCopiesOfOneModuleInOneLayerKeepTheFirstAndReportTheSecond() throws IOException {
        TestPluginJars.templatePlugin(plugins, "a.jar", "test.shared", "one", "1");
        TestPluginJars.templatePlugin(plugins, "b.jar", "test.shared", "two", "2");

        try (PluginRegistry registry = open(plugins, PluginHostType.JPMS)) {
            assertTrue(registry.find(ChatTemplate.class, "one").isPresent());
            PluginProblem p = registry.problems().getFirst();
            assertTrue(p.location().endsWith("b.jar") && p.reason().contains("already provided by"), p::toString);
        }
    }

    @Test
    void theOsgiHostSkipsAJarWithoutBundleHeaders() throws IOException {
        TestPluginJars.plainModularJar(plugins, "plain.jar", "test.plain", "plain");
        try (PluginRegistry registry = open(plugins, PluginHostType.OSGI)) {
            assertTrue(registry.find(ChatTemplate.class, "plain").isEmpty());
            PluginProblem p = registry.problems().getFirst();
            assertTrue(p.location().endsWith("plain.jar") && p.reason().contains("Bundle-SymbolicName"), p::toString);
        }
        assertTrue(Files.exists(plugins.resolve("plain.jar")));
    }
}
