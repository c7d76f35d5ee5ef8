package dev.iris.runtime.model;

import dev.iris.runtime.plugin.PluginHostType;
import dev.iris.runtime.plugin.PluginRegistry;
import dev.iris.runtime.plugin.PluginSettings;
import dev.iris.runtime.weights.LoadProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadedModelTest {

    @TempDir
    Path empty;

    @Test
    void aDeviceWithoutItsBackendIsRefusedNamingWhatIsInstalled() throws IOException {
        try (PluginRegistry plugins = PluginRegistry.open(PluginSettings.of(empty.resolve("none"), PluginHostType.JPMS))) {
            IOException e = assertThrows(IOException.class, () -> LoadedModel.load(Path.of("../testdata/models/tiny-qwen2-vl"),
                    plugins, "cuda", LoadProgress.NONE));
            assertEquals("no compute backend named 'cuda' (installed: none)", e.getMessage());
        }
    }

    @Test
    void aCheckpointNoInstalledFamilyServesIsRefusedByName() {
        // The family is looked up before the backends are touched.
        IOException e = assertThrows(IOException.class, () -> LoadedModel.load(Path.of("../testdata/models/tiny-qwen2-vl"),
                List.of(), null, null, LoadProgress.NONE));
        assertEquals("no model family plugin serves Qwen2VLForConditionalGeneration (installed: none)", e.getMessage());
    }

    @Test
    void aDirectoryWithoutConfigIsRefusedNamingTheFile() throws IOException {
        Files.writeString(empty.resolve("tokenizer.json"), "{}");
        IOException e = assertThrows(IOException.class, () -> LoadedModel.load(empty, List.of(), null, null, LoadProgress.NONE));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }
}
