package dev.iris.runtime.plugin;

import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ChatTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The OSGi host watches its directory: jars copied in, replaced or removed change the registry live. */
class FelixHotDeployTest {

    @TempDir
    Path plugins;
    @TempDir
    Path staging;

    @Test
    void aTemplateJarCopiedInAppearsIsReplacedAndDisappearsWhenRemoved() throws IOException {
        Path v1 = TestPluginJars.templatePlugin(staging.resolve("v1"), "hot.jar", "test.hot", "hot", "one");
        Path v2 = TestPluginJars.templatePlugin(staging.resolve("v2"), "hot.jar", "test.hot", "hot", "two");
        List<String> events = new CopyOnWriteArrayList<>();

        try (PluginRegistry registry = PluginRegistry.open(
                new PluginSettings(plugins, PluginHostType.OSGI, Duration.ofMillis(50)))) {
            registry.addListener((added, removed) -> {
                removed.forEach(p -> events.add("-" + p.name()));
                added.forEach(p -> events.add("+" + p.name()));
            });
            assertTrue(registry.find(ChatTemplate.class, "hot").isEmpty());

            Path live = plugins.resolve("hot.jar");
            Files.copy(v1, live);
            await(() -> registry.find(ChatTemplate.class, "hot").isPresent());
            assertEquals("one user: x\n", render(registry));

            // Replacing the file in place (new bytes, new mtime) updates the bundle.
            Files.copy(v2, live, StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(live, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
            await(() -> registry.find(ChatTemplate.class, "hot").map(t -> t.description().startsWith("two")).orElse(false));
            assertEquals("two user: x\n", render(registry));

            Files.delete(live);
            await(() -> registry.find(ChatTemplate.class, "hot").isEmpty());
            // Listeners are told after the catalog changes, so the last event may trail the lookup.
            await(() -> events.size() == 4);
            assertEquals(List.of("+hot", "-hot", "+hot", "-hot"), events);
            assertTrue(registry.problems().isEmpty(), () -> registry.problems().toString());
        }
    }

    private static String render(PluginRegistry registry) {
        return registry.require(ChatTemplate.class, "hot").render(List.of(ChatMessage.text("user", "x")), false).text();
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("condition not met within 20 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }
}
