package dev.iris.runtime.gguf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF's {@code tokenizer.ggml.*} written out as the Hugging Face {@code tokenizer.json} that
 * says the same, so the one tokenizer implementation serves both: {@code gpt2} vocabularies
 * (byte-level BPE with merges; the pre-tokenizer's split rule named by {@code tokenizer.ggml.pre})
 * and {@code llama} ones (SentencePiece pieces and scores, byte fallback).
 *
 * <p>SentencePiece files carry scores, not merges: the merges are derived as transformers derives
 * them from a {@code tokenizer.model} — every split of a piece into two pieces, ranked by the
 * whole piece's score, highest first. As llama.cpp does, a space is put before the text and
 * before the text after each special token ({@code tokenizer.ggml.add_space_prefix}, default on).
 */
final class GgufTokenizer {

    /** {@code tokenizer.ggml.token_type} values (llama.cpp's llama_token_type). */
    private static final int UNKNOWN = 2;
    private static final int CONTROL = 3;
    private static final int USER_DEFINED = 4;
    private static final int UNUSED = 5;
    private static final int BYTE = 6;

    /** The split rules of the {@code tokenizer.ggml.pre} values of the families Iris serves. */
    private static final Map<String, String> SPLIT_RULES = Map.of(
            "qwen2", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "llama-bpe", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "default", "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private GgufTokenizer() {
    }

    /**
     * The {@code tokenizer.json} of {@code file}'s vocabulary.
     *
     * @throws IOException one line naming the file and the key that is missing, malformed or of a
     *                     kind Iris does not read (another tokenizer model, an unknown split rule)
     */
    static ObjectNode tokenizerJson(GgufFile file) throws IOException {
        String model = file.require("tokenizer.ggml.model", file.string("tokenizer.ggml.model"));
        List<String> tokens = file.require("tokenizer.ggml.tokens", file.array("tokenizer.ggml.tokens", String.class));
        List<Long> types = file.array("tokenizer.ggml.token_type", Long.class).orElse(List.of());
        if (!types.isEmpty() && types.size() != tokens.size()) {
            throw new IOException(file.path() + ": tokenizer.ggml.token_type has " + types.size() + " entries for "
                    + tokens.size() + " tokens");
        }
        ObjectNode root = JSON.objectNode();
        ObjectNode bpe = root.putObject("model").put("type", "BPE");
        ObjectNode vocab = bpe.putObject("vocab");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < tokens.size(); id++) {
            int type = types.isEmpty() ? 1 : types.get(id).intValue();
            if (type == CONTROL || type == USER_DEFINED || type == UNKNOWN) {
                added.addObject().put("id", id).put("content", tokens.get(id)).put("special", type != USER_DEFINED)
                        .put("lstrip", false).put("rstrip", false).put("normalized", type == USER_DEFINED)
                        .put("single_word", false);
            }
            if (type != UNUSED) {
                vocab.put(tokens.get(id), id);
            }
        }
        switch (model) {
            case "gpt2" -> byteLevel(file, root, bpe);
            case "llama" -> sentencePiece(file, root, bpe, tokens, types);
            default -> throw new IOException(file.path() + ": tokenizer.ggml.model '" + model
                    + "' is not read by Iris (it reads gpt2 and llama vocabularies)");
        }
        postProcessor(file, root, tokens);
        return root;
    }

    private static void byteLevel(GgufFile file, ObjectNode root, ObjectNode bpe) throws IOException {
        String pre = file.string("tokenizer.ggml.pre").orElse("default");
        String rule = SPLIT_RULES.get(pre.equals("llama3") ? "llama-bpe" : pre.equals("gpt-2") ? "default" : pre);
        if (rule == null) {
            throw new IOException(file.path() + ": tokenizer.ggml.pre '" + pre + "' is not read by Iris (it reads "
                    + String.join(", ", SPLIT_RULES.keySet().stream().sorted().toList()) + ")");
        }
        ArrayNode merges = bpe.putArray("merges");
        file.require("tokenizer.ggml.merges", file.array("tokenizer.ggml.merges", String.class)).forEach(merges::add);
        bpe.put("byte_fallback", false).put("fuse_unk", false).put("ignore_merges", pre.startsWith("llama"));
        if (pre.equals("qwen2")) {
            root.putObject("normalizer").put("type", "NFC");
        }
        ObjectNode split = JSON.objectNode().put("type", "Split").put("behavior", "Isolated").put("invert", false);
        split.putObject("pattern").put("Regex", rule);
        ObjectNode sequence = root.putObject("pre_tokenizer").put("type", "Sequence");
        sequence.putArray("pretokenizers").add(split).add(byteLevelStep());
        root.set("decoder", byteLevelStep());
    }

    private static ObjectNode byteLevelStep() {
        return JSON.objectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false)
                .put("use_regex", false);
    }

    private static void sentencePiece(GgufFile file, ObjectNode root, ObjectNode bpe, List<String> tokens,
                                      List<Long> types) throws IOException {
        List<Float> scores = file.require("tokenizer.ggml.scores", file.array("tokenizer.ggml.scores", Float.class));
        if (scores.size() != tokens.size()) {
            throw new IOException(file.path() + ": tokenizer.ggml.scores has " + scores.size() + " entries for "
                    + tokens.size() + " tokens");
        }
        ArrayNode merges = bpe.putArray("merges");
        mergesByScore(tokens, types, scores).forEach(merges::add);
        bpe.put("byte_fallback", true).put("fuse_unk", true);
        file.integer("tokenizer.ggml.unknown_token_id").ifPresent(id -> bpe.put("unk_token", tokens.get(id.intValue())));

        ArrayNode steps = root.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
        if (file.bool("tokenizer.ggml.add_space_prefix").orElse(true)) {
            steps.addObject().put("type", "Prepend").put("prepend", "\u2581");
        }
        ObjectNode replace = steps.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", "\u2581");

        ArrayNode decoders = root.putObject("decoder").put("type", "Sequence").putArray("decoders");
        ObjectNode space = decoders.addObject().put("type", "Replace");
        space.putObject("pattern").put("String", "\u2581");
        space.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
    }

    /**
     * Every way of writing a normal piece as two pieces, the pieces' merges ordered by the whole
     * piece's score (highest first), then by the piece's id and the halves' ids — transformers' derivation.
     */
    private static List<String> mergesByScore(List<String> tokens, List<Long> types, List<Float> scores) {
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            if (isPiece(types, id)) {
                ids.putIfAbsent(tokens.get(id), id);
            }
        }
        record Merge(int piece, int left, int right, float score) {
        }
        List<Merge> merges = new ArrayList<>();
        for (int id = 0; id < tokens.size(); id++) {
            String piece = tokens.get(id);
            if (!isPiece(types, id)) {
                continue;
            }
            for (int cut = piece.offsetByCodePoints(0, 1); cut < piece.length(); cut = piece.offsetByCodePoints(cut, 1)) {
                Integer left = ids.get(piece.substring(0, cut));
                Integer right = ids.get(piece.substring(cut));
                if (left != null && right != null) {
                    merges.add(new Merge(id, left, right, scores.get(id)));
                }
            }
        }
        merges.sort(Comparator.comparingDouble((Merge m) -> -m.score()).thenComparingInt(Merge::piece).thenComparingInt(Merge::left)
                .thenComparingInt(Merge::right));
        return merges.stream().map(m -> tokens.get(m.left()) + " " + tokens.get(m.right())).toList();
    }

    private static boolean isPiece(List<Long> types, int id) {
        if (types.isEmpty()) {
            return true;
        }
        int type = types.get(id).intValue();
        return type != CONTROL && type != UNKNOWN && type != UNUSED && type != BYTE;
    }

    /** BOS before and EOS after a sequence, as {@code add_bos_token} / {@code add_eos_token} say. */
    private static void postProcessor(GgufFile file, ObjectNode root, List<String> tokens) throws IOException {
        boolean sentencePiece = file.string("tokenizer.ggml.model").orElse("").equals("llama");
        ArrayNode single = JSON.arrayNode();
        ObjectNode special = JSON.objectNode();
        addSpecial(file, "bos", file.bool("tokenizer.ggml.add_bos_token").orElse(sentencePiece), tokens, special, single);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        addSpecial(file, "eos", file.bool("tokenizer.ggml.add_eos_token").orElse(false), tokens, special, single);
        if (!special.isEmpty()) {
            ObjectNode p = root.putObject("post_processor").put("type", "TemplateProcessing");
            p.set("single", single);
            p.set("special_tokens", special);
        }
    }

    private static void addSpecial(GgufFile file, String which, boolean add, List<String> tokens, ObjectNode special,
                                   ArrayNode single) throws IOException {
        String key = "tokenizer.ggml." + which + "_token_id";
        if (!add) {
            return;
        }
        long id = file.require(key, file.integer(key));
        if (id < 0 || id >= tokens.size()) {
            throw new IOException(file.path() + ": " + key + " " + id + " is not a token id (" + tokens.size() + " tokens)");
        }
        String token = tokens.get((int) id);
        single.addObject().putObject("SpecialToken").put("id", token).put("type_id", 0);
        ObjectNode entry = special.putObject(token).put("id", token);
        entry.putArray("ids").add(id);
        entry.putArray("tokens").add(token);
    }
}
