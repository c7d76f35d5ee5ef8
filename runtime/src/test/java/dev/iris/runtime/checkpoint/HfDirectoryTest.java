package dev.iris.runtime.checkpoint;

import dev.iris.runtime.config.JsonConfigView;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HfDirectoryTest {

    @Test
    void eosIdsComeFromGenerationConfigAndConfig() throws IOException {
        Path dir = Path.of("../testdata/models/tiny-mllama"); // generation_config: [301, 308, 309]
        assertEquals(Set.of(301, 308, 309), HfDirectory.eosIds(dir, JsonConfigView.read(dir.resolve("config.json"), false)));
        Path qwen = Path.of("../testdata/models/tiny-qwen2-vl"); // generation_config [302, 300], config 302
        assertEquals(Set.of(302, 300), HfDirectory.eosIds(qwen, JsonConfigView.read(qwen.resolve("config.json"), false)));
    }

    @Test
    void theWeightFormatNamesTheStoredType() throws IOException {
        Checkpoint qwen = HfDirectory.open(Path.of("../testdata/models/tiny-qwen2-vl"), "{}", "{}", null, false,
                (file, files, done, total) -> { });
        try (var weights = qwen.weights()) {
            assertEquals("safetensors BF16", qwen.weightFormat());
        }
    }
}
