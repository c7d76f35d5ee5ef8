package dev.iris.modelkit.config;

import dev.iris.api.config.ConfigException;
import dev.iris.api.config.ConfigView;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonConfigTest {

    private static final String CONFIG = """
            {"model_type": "clip_vision_model", "hidden_size": 1024, "layer_norm_eps": 1e-05, "rope_theta": 1e6,
             "use_head": false, "missing": null, "image_mean": [0.5, 0.25, 1], "name": "a\\"b\\u00e9\\n",
             "pinpoints": [[336, 672], [672, 336]], "eos_token_id": 2, "ids": [1, 2],
             "vision_config": {"patch_size": 14}, "layers": [{"n": 1}, {"n": 2}]}""";

    @Test
    void everyKindOfValueReadsAsTheRuntimesViewReadsIt() {
        ConfigView c = JsonConfig.parse("test.json", CONFIG);
        assertEquals("clip_vision_model", c.requireString("model_type"));
        assertEquals(1024, c.requireInt("hidden_size"));
        assertEquals(1e-5, c.requireNumber("layer_norm_eps"));
        assertEquals(1_000_000, c.requireInt("rope_theta"));
        assertFalse(c.boolOr("use_head", true));
        assertFalse(c.has("missing"));
        assertTrue(c.keys().contains("missing"));
        assertEquals(List.of(0.5, 0.25, 1.0), c.numbers("image_mean").orElseThrow());
        assertEquals("a\"bé\n", c.requireString("name"));
        assertEquals(List.of(List.of(336L, 672L), List.of(672L, 336L)), c.integerMatrix("pinpoints").orElseThrow());
        assertEquals(List.of(2L), c.integerOrIntegers("eos_token_id").orElseThrow());
        assertEquals(List.of(1L, 2L), c.integerOrIntegers("ids").orElseThrow());
        assertEquals(14, c.requireObject("vision_config").requireInt("patch_size"));
        assertEquals("test.json#vision_config", c.requireObject("vision_config").source());
        assertEquals(2, c.objects("layers").orElseThrow().get(1).requireInt("n"));
    }

    @Test
    void aValueOfTheWrongTypeIsAnErrorNamingFileAndKey() {
        ConfigView c = JsonConfig.parse("test.json", CONFIG);
        ConfigException e = assertThrows(ConfigException.class, () -> c.requireInt("model_type"));
        assertTrue(e.getMessage().startsWith("test.json: 'model_type' is not an integer"), e.getMessage());
        assertThrows(ConfigException.class, () -> c.requireInt("layer_norm_eps"));
    }

    @Test
    void textThatIsNotOneJsonObjectIsRejected() {
        for (String bad : List.of("[1]", "{\"a\": 1", "{\"a\": 01}", "{\"a\": 1} x", "{\"a\": tru}", "{'a': 1}")) {
            assertThrows(ConfigException.class, () -> JsonConfig.parse("bad.json", bad), bad);
        }
    }
}
