package dev.iris.model.llava;

import dev.iris.api.config.ConfigException;
import dev.iris.api.config.ConfigView;
import dev.iris.modelkit.config.JsonConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The vision tower an original LLaVA config names in {@code mm_vision_tower} (a Hub id or a path;
 * its shape is not in the checkpoint's config): a directory, absolute or relative to the model's,
 * with the tower's {@code config.json} (a vision config, or a CLIP/SigLIP config holding one) and
 * usually its {@code preprocessor_config.json}; else one of the towers the LLaVA checkpoints use,
 * with the values of spec llava.md §2.2 and §4.1.
 *
 * @param config       the tower's vision config
 * @param preprocessor its processor settings, if known
 */
record VisionTower(ConfigView config, Optional<ConfigView> preprocessor) {

    private static final String CLIP_MEAN_STD = """
            "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
            "resample": 3, "rescale_factor": 0.00392156862745098""";

    /** Hub id → {vision config, processor settings}. Google's SigLIP has 27 layers; LLaVA selects the 26th. */
    private static final Map<String, String[]> KNOWN = new TreeMap<>(Map.of(
            "openai/clip-vit-large-patch14-336", new String[]{"""
                    {"model_type": "clip_vision_model", "hidden_size": 1024, "intermediate_size": 4096,
                     "num_hidden_layers": 24, "num_attention_heads": 16, "image_size": 336, "patch_size": 14,
                     "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5}""", """
                    {"size": {"shortest_edge": 336}, "crop_size": {"height": 336, "width": 336}, "do_center_crop": true,
                    """ + CLIP_MEAN_STD + "}"},
            "google/siglip-so400m-patch14-384", new String[]{"""
                    {"model_type": "siglip_vision_model", "hidden_size": 1152, "intermediate_size": 4304,
                     "num_hidden_layers": 27, "num_attention_heads": 16, "image_size": 384, "patch_size": 14,
                     "hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-6}""", """
                    {"size": {"height": 384, "width": 384}, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
                     "resample": 3, "rescale_factor": 0.00392156862745098}"""}));

    /**
     * @throws ConfigException naming {@code mm_vision_tower} when it is neither such a directory nor a known tower
     * @throws IOException     when the directory's files cannot be read
     */
    static VisionTower resolve(ConfigView modelConfig, Path modelDir) throws IOException {
        String name = modelConfig.requireString("mm_vision_tower");
        Path dir = directory(modelDir, name);
        if (dir != null && Files.isRegularFile(dir.resolve("config.json"))) {
            ConfigView config = JsonConfig.read(dir.resolve("config.json"));
            Path processor = dir.resolve("preprocessor_config.json");
            return new VisionTower(config.object("vision_config").orElse(config),
                    Files.isRegularFile(processor) ? Optional.of(JsonConfig.read(processor)) : Optional.empty());
        }
        String[] known = KNOWN.get(name);
        if (known == null) {
            throw new ConfigException(modelConfig.source() + ": 'mm_vision_tower' is '" + name + "', which is neither a"
                    + " directory with a config.json" + (dir == null ? "" : " (looked in " + dir + ")")
                    + " nor a tower Iris knows " + KNOWN.keySet());
        }
        return new VisionTower(JsonConfig.parse("built-in " + name + " config", known[0]),
                Optional.of(JsonConfig.parse("built-in " + name + " processor settings", known[1])));
    }

    private static Path directory(Path modelDir, String name) {
        try {
            return modelDir.resolve(name);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
