package dev.iris.runtime.config;

import dev.iris.api.config.ConfigException;
import dev.iris.api.config.ConfigView;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonConfigViewTest {

    @Test
    void readsARealConfigWithNestedObjectsAndArrays() throws IOException {
        // testdata/models/tiny-qwen2-vl/config.json, as saved by transformers.
        ConfigView c = JsonConfigView.read(Path.of("../testdata/models/tiny-qwen2-vl/config.json"), false);
        assertEquals(64, c.requireInt("hidden_size"));
        assertEquals(1e6, c.requireNumber("rope_theta"));
        assertEquals(List.of(2L, 3L, 3L), c.requireObject("rope_scaling").integers("mrope_section").orElseThrow());
        assertEquals(List.of("Qwen2VLForConditionalGeneration"), c.strings("architectures").orElseThrow());
        assertEquals(32, c.requireObject("vision_config").requireInt("embed_dim"));
        assertFalse(c.boolOr("use_sliding_window", true));
        assertEquals(7, c.intOr("absent", 7));
    }

    @Test
    void wrongTypesAndMissingKeysNameTheFileAndKey() throws IOException {
        ConfigView c = JsonConfigView.parse("config.json", "{\"hidden_size\": \"big\", \"n\": null}");
        assertEquals("config.json: 'hidden_size' is not an integer (got \"big\")",
                assertThrows(ConfigException.class, () -> c.requireInt("hidden_size")).getMessage());
        assertEquals("config.json: 'vocab_size' is missing (expected an integer)",
                assertThrows(ConfigException.class, () -> c.requireInt("vocab_size")).getMessage());
        assertFalse(c.has("n"));
    }
}
