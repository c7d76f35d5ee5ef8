package dev.iris.model.qwen2vl;

import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.RgbaImage;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.media.MediaLoader;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.plugin.PluginHostType;
import dev.iris.runtime.plugin.PluginRegistry;
import dev.iris.runtime.plugin.PluginSettings;
import dev.iris.runtime.weights.LoadProgress;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's {@code --min-pixels}/{@code --max-pixels} reach the family as preprocessor settings
 * over preprocessor_config.json: they bound every image, and a request may ask for less, not more.
 */
class ServerImageSettingsTest {

    @Test
    void theServersMaxPixelsBoundsImagesAndCapsRequests() throws IOException {
        try (PluginRegistry plugins = PluginRegistry.open(PluginSettings.of(Path.of("target/no-plugins"),
                PluginHostType.JPMS));
             LoadedModel loaded = LoadedModel.load(GoldenCase.MODEL, plugins, "cpu",
                     new LoadedModel.Overrides("{}", "{\"max_pixels\": 6272}", null, false, null, null), LoadProgress.NONE);
             Arena arena = Arena.ofConfined()) {
            ImageProcessor processor = loaded.model().imageProcessor();
            assertEquals(6272 / (28 * 28), processor.maxPromptTokens());
            // The fixture's own processor (max_pixels 12544) gives the gradient more tokens than this server allows.
            int fixtureTokens = GoldenCase.load("one_image", arena).images().getFirst().promptTokens();
            int tokens = processor.process(gradient(), JsonConfigView.parse("none", "{}")).promptTokens();
            assertTrue(tokens <= processor.maxPromptTokens() && tokens < fixtureTokens, tokens + " vs " + fixtureTokens);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> processor.process(gradient(), JsonConfigView.parse("request", "{\"max_pixels\": 12544}")));
            assertEquals("max_pixels 12544 is above this server's limit of 6272 pixels.", e.getMessage());
        }
    }

    private static RgbaImage gradient() throws IOException {
        byte[] png = Files.readAllBytes(Path.of("../../testdata/images/gradient_640x480.png"));
        return new MediaLoader(MediaOptions.defaults())
                .load(List.of("data:image/png;base64," + Base64.getEncoder().encodeToString(png))).getFirst();
    }
}
