package dev.iris.runtime.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.config.ConfigView;
import dev.iris.api.quant.GgmlType;
import dev.iris.runtime.checkpoint.Checkpoint;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.tokenizer.Tokenizer;
import dev.iris.runtime.weights.LoadProgress;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A vision-language model served from llama.cpp's files, as llama-server takes them: the text
 * model's GGUF ({@code --model-path}) and its vision projector's ({@code --mmproj}). Everything a
 * Hugging Face directory would hold is read from their metadata — the config from
 * {@code <arch>.*} and {@code clip.vision.*}, the tokenizer from {@code tokenizer.ggml.*}, the
 * chat template from {@code tokenizer.chat_template} — and the tensors are handed out under
 * their Hugging Face names, so the model families read them unchanged.
 *
 * <p>Served pairs: {@code qwen2vl} + {@code qwen2vl_merger} (Qwen2-VL) and {@code llama} + a
 * LLaVA MLP projector (LLaVA-1.5). {@code --tokenizer-path} replaces the GGUF's tokenizer and
 * template with a directory's {@code tokenizer.json} and {@code tokenizer_config.json}.
 */
public final class GgufCheckpoint {

    /** llama.cpp's {@code llama_ftype} names, for the start-up log and /get_model_info. */
    private static final Map<Long, String> FILE_TYPES = Map.ofEntries(Map.entry(0L, "F32"), Map.entry(1L, "F16"),
            Map.entry(2L, "Q4_0"), Map.entry(3L, "Q4_1"), Map.entry(7L, "Q8_0"), Map.entry(8L, "Q5_0"),
            Map.entry(9L, "Q5_1"), Map.entry(10L, "Q2_K"), Map.entry(11L, "Q3_K_S"), Map.entry(12L, "Q3_K_M"),
            Map.entry(13L, "Q3_K_L"), Map.entry(14L, "Q4_K_S"), Map.entry(15L, "Q4_K_M"), Map.entry(16L, "Q5_K_S"),
            Map.entry(17L, "Q5_K_M"), Map.entry(18L, "Q6_K"), Map.entry(32L, "BF16"));

    /** Control tokens llama.cpp also ends generation at (its end-of-generation list, for these families). */
    private static final Set<String> END_OF_GENERATION = Set.of("<|im_end|>", "<|endoftext|>", "<|eot_id|>",
            "<|end_of_text|>", "</s>");

    private GgufCheckpoint() {
    }

    /** Whether {@code path} is a GGUF file (by its first four bytes). */
    public static boolean isGguf(Path path) {
        if (!Files.isRegularFile(path)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(path)) {
            return new String(in.readNBytes(4), java.nio.charset.StandardCharsets.ISO_8859_1).equals("GGUF");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Maps a text GGUF and its vision projector GGUF.
     *
     * @param mmproj                the projector ({@code --mmproj}); the families served all take images, so it is required
     * @param configOverrides       JSON merged into the config ({@code --json-model-override-args})
     * @param preprocessorOverrides JSON merged into the image settings ({@code --max-pixels}, ...)
     * @param tokenizerDir          a directory whose tokenizer files replace the GGUF's; null for the GGUF's
     * @param skipTokenizer         load no tokenizer
     * @throws IOException one line naming the file and the cause: not GGUF, truncated, a tensor type
     *                     Iris does not read, an architecture or projector Iris does not serve, a
     *                     missing key or tensor
     */
    public static Checkpoint open(Path model, Path mmproj, String configOverrides, String preprocessorOverrides,
                                  Path tokenizerDir, boolean skipTokenizer, LoadProgress progress) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            GgufFile text = GgufFile.open(model, arena);
            String arch = text.architecture();
            if (!"qwen2vl".equals(arch) && !"llama".equals(arch)) {
                throw new IOException(model + ": general.architecture '" + arch + "' is not served by Iris from GGUF"
                        + " (it serves qwen2vl with a qwen2vl_merger mmproj, and llama with a LLaVA mlp mmproj)");
            }
            if (mmproj == null) {
                throw new IOException(model + ": a " + arch + " GGUF is served with its vision projector: add --mmproj"
                        + " mmproj.gguf");
            }
            long textBytes = Files.size(model);
            long total = textBytes + Files.size(mmproj);
            progress.update(1, 2, textBytes, total);
            GgufFile vision = GgufFile.open(mmproj, arena);
            progress.update(2, 2, total, total);
            String projector = ClipGguf.projector(vision);
            List<String> tokens = text.require("tokenizer.ggml.tokens", text.array("tokenizer.ggml.tokens", String.class));

            ObjectNode config = JsonNodeFactory.instance.objectNode();
            ObjectNode preprocessor = JsonNodeFactory.instance.objectNode();
            Map<String, GgufWeights.Recipe> recipes = new LinkedHashMap<>();
            // The GGUF's vocabulary as tokenizer.json, only when it is the tokenizer served.
            boolean ownTokenizer = tokenizerDir == null && !skipTokenizer;
            ObjectNode tokenizerJson = ownTokenizer ? GgufTokenizer.tokenizerJson(text)
                    : JsonNodeFactory.instance.objectNode();
            if (arch.equals("qwen2vl") && projector.equals(Qwen2VlGguf.PROJECTOR)) {
                Qwen2VlGguf.convert(text, vision, tokens, config, preprocessor, recipes);
            } else if (arch.equals("llama") && projector.equals(LlavaGguf.PROJECTOR)) {
                LlavaGguf.convert(text, vision, tokens, config, preprocessor, recipes, tokenizerJson);
            } else {
                throw new IOException(mmproj + ": a " + arch + " model with a '" + projector + "' projector is not"
                        + " served by Iris (it serves qwen2vl with qwen2vl_merger, and llama with mlp)");
            }
            Set<Integer> eos = eosIds(text, tokens);
            config.put("torch_dtype", fileType(text).equals("BF16") ? "bfloat16" : "float16");
            eos.forEach(id -> config.withArray("eos_token_id").add(id));

            ConfigView tokenizerConfig;
            Tokenizer tokenizer = null;
            if (tokenizerDir != null) {
                tokenizerConfig = JsonConfigView.read(tokenizerDir.resolve("tokenizer_config.json"), true);
                tokenizer = skipTokenizer ? null : Tokenizer.load(tokenizerDir.resolve("tokenizer.json"));
            } else {
                tokenizerConfig = JsonConfigView.parse(model + " (tokenizer.chat_template)",
                        tokenizerConfig(text, tokens).toString());
                if (ownTokenizer) {
                    byte[] json = new ObjectMapper().writeValueAsBytes(tokenizerJson);
                    tokenizer = Tokenizer.read(new ByteArrayInputStream(json), model + " (tokenizer.ggml)");
                }
            }
            String source = model + " (as config.json)";
            ConfigView configView = JsonConfigView.parse(source, config.toString())
                    .withOverrides("--json-model-override-args", configOverrides);
            ConfigView preprocessorView = JsonConfigView.parse(mmproj + " (as preprocessor_config.json)",
                    preprocessor.toString()).withOverrides("the server's image settings", preprocessorOverrides);
            return new Checkpoint(model, configView, preprocessorView, tokenizerConfig,
                    JsonConfigView.empty(model + " (chat_template.json)"), tokenizer, eos,
                    new GgufWeights(arena, recipes), "GGUF " + fileType(text) + " " + typeCounts(text)
                    + ", mmproj " + fileType(vision) + " " + typeCounts(vision));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** {@code tokenizer_config.json}'s keys the template sources read: the template and the BOS/EOS texts. */
    private static ObjectNode tokenizerConfig(GgufFile text, List<String> tokens) throws IOException {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        text.string("tokenizer.chat_template").ifPresent(t -> c.put("chat_template", t));
        for (String which : List.of("bos", "eos")) {
            String key = "tokenizer.ggml." + which + "_token_id";
            var id = text.integer(key);
            if (id.isPresent() && id.get() >= 0 && id.get() < tokens.size()) {
                c.put(which + "_token", tokens.get(id.get().intValue()));
            }
        }
        c.put("add_bos_token", text.bool("tokenizer.ggml.add_bos_token")
                .orElse(text.string("tokenizer.ggml.model").orElse("").equals("llama")));
        return c;
    }

    /** The EOS and EOT ids, and the control tokens llama.cpp treats as ends of generation. */
    private static Set<Integer> eosIds(GgufFile text, List<String> tokens) throws IOException {
        Set<Integer> ids = new LinkedHashSet<>();
        for (String key : List.of("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id")) {
            text.integer(key).filter(id -> id >= 0 && id < tokens.size()).ifPresent(id -> ids.add(id.intValue()));
        }
        List<Long> types = text.array("tokenizer.ggml.token_type", Long.class).orElse(List.of());
        for (int id = 0; id < types.size(); id++) {
            if (types.get(id) == 3 && END_OF_GENERATION.contains(tokens.get(id))) {
                ids.add(id);
            }
        }
        return ids;
    }

    private static String fileType(GgufFile file) throws IOException {
        var type = file.integer("general.file_type");
        if (type.isEmpty()) {
            return "";
        }
        return FILE_TYPES.getOrDefault(type.get(), "file type " + type.get());
    }

    /** How many tensors of each type and their bytes, e.g. {@code (F32 ×141 0.6 MiB, Q4_K ×168 596.5 MiB)}. */
    private static String typeCounts(GgufFile file) {
        Map<GgmlType, Integer> counts = new TreeMap<>();
        Map<GgmlType, Long> bytes = new TreeMap<>();
        file.tensors().values().forEach(t -> {
            counts.merge(t.type(), 1, Integer::sum);
            bytes.merge(t.type(), t.data().byteSize(), Long::sum);
        });
        StringBuilder b = new StringBuilder("(");
        counts.forEach((t, n) -> b.append(b.length() > 1 ? ", " : "").append(t).append(" ×").append(n)
                .append(String.format(java.util.Locale.ROOT, " %.1f MiB", bytes.get(t) / 1048576.0)));
        return b.append(')').toString();
    }
}
