package dev.iris.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.tensor.Bf16;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.runtime.weights.SafetensorsWriter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a random-weight model in Hugging Face layout from a config with real shapes, so that
 * end-to-end speed is measured on real shapes without a download: BF16 safetensors shards with
 * an index, {@code config.json}, {@code generation_config.json},
 * {@code preprocessor_config.json}, and a byte-level tokenizer with the family's special
 * tokens at their real ids. Weights are normal(0, 0.02), norm weights 1, biases 0.
 *
 * <p>Usage: {@code RandomModelWriter <config.json> <output dir> [max shard GiB, default 2]}.
 * Supports {@code model_type} {@code qwen2_vl}.
 */
public final class RandomModelWriter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PATTERN = 1 << 20; // random values repeated to fill each tensor

    private RandomModelWriter() {
    }

    /** A tensor to write and how to fill it. */
    private record Spec(String name, Shape shape, Fill fill) {
        long bytes() {
            return shape.elementCount() * 2;
        }
    }

    private enum Fill { NORMAL, ONES, ZEROS }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: RandomModelWriter <config.json> <output dir> [max shard GiB]");
            System.exit(2);
        }
        long shard = (long) (Double.parseDouble(args.length > 2 ? args[2] : "2") * (1L << 30));
        write(Path.of(args[0]), Path.of(args[1]), shard);
    }

    /** Writes the model; shards hold at most {@code maxShardBytes} of tensor data each (one tensor at least). */
    public static void write(Path configFile, Path outDir, long maxShardBytes) throws IOException {
        JsonNode config = JSON.readTree(configFile.toFile());
        String type = config.path("model_type").asText();
        if (!type.equals("qwen2_vl")) {
            throw new IllegalArgumentException(configFile + ": model_type '" + type + "' is not supported (qwen2_vl)");
        }
        Files.createDirectories(outDir);
        List<Spec> tensors = qwen2Vl(config);
        List<List<Spec>> shards = new ArrayList<>();
        long size = 0;
        for (Spec t : tensors) {
            if (shards.isEmpty() || size + t.bytes() > maxShardBytes) {
                shards.add(new ArrayList<>());
                size = 0;
            }
            shards.getLast().add(t);
            size += t.bytes();
        }
        ByteBuffer pattern = normalPattern();
        Map<String, String> weightMap = new LinkedHashMap<>();
        long total = 0;
        for (int s = 0; s < shards.size(); s++) {
            String file = shards.size() == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            Map<String, Spec> byName = new LinkedHashMap<>();
            for (Spec t : shards.get(s)) {
                entries.add(new SafetensorsWriter.Entry(t.name(), DType.BF16, t.shape()));
                byName.put(t.name(), t);
                weightMap.put(t.name(), file);
                total += t.bytes();
            }
            SafetensorsWriter.write(outDir.resolve(file), entries, Map.of("format", "pt"),
                    (e, out) -> fill(byName.get(e.name()), out, pattern));
            System.out.printf("wrote %s (%d tensors)%n", file, entries.size());
        }
        if (shards.size() > 1) {
            ObjectNode index = JSON.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            ObjectNode map = index.putObject("weight_map");
            weightMap.forEach(map::put);
            JSON.writerWithDefaultPrettyPrinter().writeValue(outDir.resolve("model.safetensors.index.json").toFile(), index);
        }
        Files.copy(configFile, outDir.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        writeSideFiles(config, outDir);
    }

    /** Qwen2-VL's tensors (spec: shared/spec/models/qwen2-vl.md §2.2), in checkpoint order. */
    private static List<Spec> qwen2Vl(JsonNode c) {
        List<Spec> t = new ArrayList<>();
        JsonNode v = c.get("vision_config");
        int embed = v.get("embed_dim").asInt();
        int mlp = embed * v.get("mlp_ratio").asInt();
        int patch = v.get("patch_size").asInt();
        int temporal = v.get("temporal_patch_size").asInt();
        int merged = embed * v.get("spatial_merge_size").asInt() * v.get("spatial_merge_size").asInt();
        int hidden = c.get("hidden_size").asInt();
        t.add(new Spec("visual.patch_embed.proj.weight", Shape.of(embed, v.path("in_chans").asInt(3), temporal, patch, patch),
                Fill.NORMAL));
        for (int b = 0; b < v.get("depth").asInt(); b++) {
            String p = "visual.blocks." + b + ".";
            norm(t, p + "norm1", embed);
            linear(t, p + "attn.qkv", 3 * embed, embed, true);
            linear(t, p + "attn.proj", embed, embed, true);
            norm(t, p + "norm2", embed);
            linear(t, p + "mlp.fc1", mlp, embed, true);
            linear(t, p + "mlp.fc2", embed, mlp, true);
        }
        norm(t, "visual.merger.ln_q", embed);
        linear(t, "visual.merger.mlp.0", merged, merged, true);
        linear(t, "visual.merger.mlp.2", hidden, merged, true);

        int vocab = c.get("vocab_size").asInt();
        int inter = c.get("intermediate_size").asInt();
        int heads = c.get("num_attention_heads").asInt();
        int kv = c.get("num_key_value_heads").asInt();
        int kvDim = hidden / heads * kv;
        t.add(new Spec("model.embed_tokens.weight", Shape.of(vocab, hidden), Fill.NORMAL));
        for (int l = 0; l < c.get("num_hidden_layers").asInt(); l++) {
            String p = "model.layers." + l + ".";
            t.add(new Spec(p + "input_layernorm.weight", Shape.of(hidden), Fill.ONES));
            linear(t, p + "self_attn.q_proj", hidden, hidden, true);
            linear(t, p + "self_attn.k_proj", kvDim, hidden, true);
            linear(t, p + "self_attn.v_proj", kvDim, hidden, true);
            linear(t, p + "self_attn.o_proj", hidden, hidden, false);
            t.add(new Spec(p + "post_attention_layernorm.weight", Shape.of(hidden), Fill.ONES));
            linear(t, p + "mlp.gate_proj", inter, hidden, false);
            linear(t, p + "mlp.up_proj", inter, hidden, false);
            linear(t, p + "mlp.down_proj", hidden, inter, false);
        }
        t.add(new Spec("model.norm.weight", Shape.of(hidden), Fill.ONES));
        if (!c.path("tie_word_embeddings").asBoolean(false)) {
            t.add(new Spec("lm_head.weight", Shape.of(vocab, hidden), Fill.NORMAL));
        }
        return t;
    }

    private static void linear(List<Spec> t, String prefix, int out, int in, boolean bias) {
        t.add(new Spec(prefix + ".weight", Shape.of(out, in), Fill.NORMAL));
        if (bias) {
            t.add(new Spec(prefix + ".bias", Shape.of(out), Fill.ZEROS));
        }
    }

    private static void norm(List<Spec> t, String prefix, int d) {
        t.add(new Spec(prefix + ".weight", Shape.of(d), Fill.ONES));
        t.add(new Spec(prefix + ".bias", Shape.of(d), Fill.ZEROS));
    }

    private static ByteBuffer normalPattern() {
        SplittableRandom rnd = new SplittableRandom(2026);
        ByteBuffer b = ByteBuffer.allocateDirect(PATTERN * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < PATTERN; i++) {
            double g = Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
            b.putShort(Bf16.fromFloat((float) (g * 0.02)));
        }
        return b.flip();
    }

    private static void fill(Spec t, FileChannel out, ByteBuffer normal) throws IOException {
        long remaining = t.bytes();
        if (t.fill() == Fill.ZEROS) {
            out.position(out.position() + remaining); // sparse zeros
            return;
        }
        ByteBuffer src = normal;
        if (t.fill() == Fill.ONES) {
            src = ByteBuffer.allocate((int) Math.min(remaining, PATTERN * 2L)).order(ByteOrder.LITTLE_ENDIAN);
            while (src.hasRemaining()) {
                src.putShort(Bf16.fromFloat(1f));
            }
            src.flip();
        }
        while (remaining > 0) {
            ByteBuffer chunk = src.duplicate();
            chunk.limit((int) Math.min(chunk.capacity(), remaining));
            while (chunk.hasRemaining()) {
                remaining -= out.write(chunk);
            }
        }
    }

    /** generation_config, preprocessor_config and a byte-level tokenizer with the real special-token ids. */
    private static void writeSideFiles(JsonNode config, Path outDir) throws IOException {
        int bos = config.get("bos_token_id").asInt();
        int eos = config.get("eos_token_id").asInt();
        ObjectNode gen = JSON.createObjectNode();
        gen.put("bos_token_id", bos);
        gen.putArray("eos_token_id").add(eos).add(bos);
        gen.put("pad_token_id", bos);
        JSON.writerWithDefaultPrettyPrinter().writeValue(outDir.resolve("generation_config.json").toFile(), gen);

        ObjectNode pre = JSON.createObjectNode();
        JsonNode v = config.get("vision_config");
        pre.put("image_processor_type", "Qwen2VLImageProcessor").put("processor_class", "Qwen2VLProcessor");
        pre.put("min_pixels", 3136).put("max_pixels", 12845056);
        pre.put("patch_size", v.get("patch_size").asInt()).put("temporal_patch_size", v.get("temporal_patch_size").asInt());
        pre.put("merge_size", v.get("spatial_merge_size").asInt());
        pre.putArray("image_mean").add(0.48145466).add(0.4578275).add(0.40821073);
        pre.putArray("image_std").add(0.26862954).add(0.26130258).add(0.27577711);
        JSON.writerWithDefaultPrettyPrinter().writeValue(outDir.resolve("preprocessor_config.json").toFile(), pre);

        // Byte-level BPE over the 256 bytes (GPT-2's byte-to-character map), no merges; the
        // special tokens sit at Qwen2-VL's real ids so prompts and stop tokens behave as usual.
        String[] specials = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
                "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
                "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"};
        ObjectNode tok = JSON.createObjectNode();
        tok.put("version", "1.0");
        ArrayNode added = tok.putArray("added_tokens");
        for (int i = 0; i < specials.length; i++) {
            added.addObject().put("id", bos + i).put("content", specials[i]).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        tok.putNull("normalizer");
        tok.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false)
                .put("use_regex", true);
        tok.putNull("post_processor");
        tok.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false)
                .put("use_regex", true);
        ObjectNode model = tok.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token");
        model.put("fuse_unk", false).put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        int[] order = byteOrder();
        for (int id = 0; id < 256; id++) {
            vocab.put(new String(Character.toChars(byteChar(order[id]))), id);
        }
        model.putArray("merges");
        JSON.writerWithDefaultPrettyPrinter().writeValue(outDir.resolve("tokenizer.json").toFile(), tok);

        ObjectNode tc = JSON.createObjectNode();
        tc.put("tokenizer_class", "Qwen2Tokenizer").putNull("bos_token").put("eos_token", "<|im_end|>")
                .put("pad_token", "<|endoftext|>").put("add_bos_token", false).put("model_max_length", 32768);
        tc.put("chat_template", chatTemplate());
        JSON.writerWithDefaultPrettyPrinter().writeValue(outDir.resolve("tokenizer_config.json").toFile(), tc);
    }

    /** GPT-2's byte order: printable bytes first, then the rest. */
    private static int[] byteOrder() {
        int[] order = new int[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (printable(b)) {
                order[n++] = b;
            }
        }
        for (int b = 0; b < 256; b++) {
            if (!printable(b)) {
                order[n++] = b;
            }
        }
        return order;
    }

    private static boolean printable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** GPT-2's byte-to-character map: printable bytes map to themselves, the others to 256 + k. */
    private static int byteChar(int b) {
        if (printable(b)) {
            return b;
        }
        int k = 0;
        for (int x = 0; x < b; x++) {
            if (!printable(x)) {
                k++;
            }
        }
        return 256 + k;
    }

    private static String chatTemplate() throws IOException {
        try (InputStream in = RandomModelWriter.class.getResourceAsStream("qwen2-vl-chat-template.jinja")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
