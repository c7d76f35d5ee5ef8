package dev.iris.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CancellationException;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model — byte-level BPE (Llama-3, Qwen2) and
 * SentencePiece-style BPE with byte fallback (Llama-2 / Vicuna, Mistral) — in plain Java:
 * added and special tokens are cut out first, each text segment is normalised, pre-tokenised and
 * merged, then the post-processor's template adds BOS when asked. Decoding runs the decoder
 * chain. Thread-safe after loading.
 */
public final class Tokenizer {

    /** An entry of {@code added_tokens}. */
    private record Added(String content, int id, boolean special, boolean lstrip, boolean rstrip) {
    }

    private final BpeModel model;
    private final AddedTokenMatcher<Added> added;
    private final Map<Integer, String> idToToken = new HashMap<>();
    private final Map<String, Integer> tokenToId = new HashMap<>();
    private final Set<Integer> specialIds = new HashSet<>();
    private final Set<Integer> addedIds = new HashSet<>();
    /** Whether tokens are byte-level (each character one byte), as the decoder says. */
    private final boolean byteLevel;
    private final TextPipeline.TextNormalizer normalizer;
    private final TextPipeline.PreTokenizer preTokenizer;
    private final TextPipeline.Decoder decoder;
    private final int[] prefix;
    private final int[] suffix;
    /** Characters a normaliser may fold into one, at most, as far as {@link #fewestTokens} assumes. */
    private static final int NORMALISATION_FOLD = 4;
    /** The most characters any vocabulary entry or added token has. */
    private final int longestToken;

    private Tokenizer(JsonNode root, String source) {
        JsonNode m = root.get("model");
        if (m == null || !m.path("type").asText("BPE").equals("BPE")) {
            throw new IllegalArgumentException(source + ": only BPE tokenizer models are supported, got "
                    + (m == null ? "none" : m.path("type").asText()));
        }
        Map<String, Integer> vocab = new HashMap<>();
        m.get("vocab").properties().forEach(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        Map<String, Integer> ranks = new HashMap<>();
        JsonNode merges = m.get("merges");
        for (int i = 0; i < merges.size(); i++) {
            JsonNode merge = merges.get(i);
            String key = merge.isArray() ? merge.get(0).asText() + " " + merge.get(1).asText() : merge.asText();
            ranks.putIfAbsent(key, i);
        }
        Integer unk = m.hasNonNull("unk_token") ? vocab.get(m.get("unk_token").asText()) : null;
        this.model = new BpeModel(vocab, ranks, m.path("byte_fallback").asBoolean(false), unk,
                m.path("fuse_unk").asBoolean(false), m.path("ignore_merges").asBoolean(false));
        vocab.forEach((t, id) -> {
            idToToken.put(id, t);
            tokenToId.put(t, id);
        });
        List<Added> addedTokens = new ArrayList<>();
        for (JsonNode a : root.path("added_tokens")) {
            Added t = new Added(a.get("content").asText(), a.get("id").asInt(), a.path("special").asBoolean(false),
                    a.path("lstrip").asBoolean(false), a.path("rstrip").asBoolean(false));
            addedTokens.add(t);
            idToToken.put(t.id(), t.content());
            tokenToId.put(t.content(), t.id());
            addedIds.add(t.id());
            if (t.special()) {
                specialIds.add(t.id());
            }
        }
        this.added = new AddedTokenMatcher<>(addedTokens, Added::content);
        this.normalizer = TextPipeline.normalizer(root.get("normalizer"));
        this.preTokenizer = TextPipeline.preTokenizer(root.get("pre_tokenizer"));
        this.decoder = TextPipeline.decoder(root.get("decoder"));
        this.byteLevel = root.path("decoder").toString().contains("\"ByteLevel\"");
        List<Integer> pre = new ArrayList<>();
        List<Integer> post = new ArrayList<>();
        template(root.get("post_processor"), pre, post);
        this.longestToken = Math.max(1, idToToken.values().stream().mapToInt(String::length).max().orElse(1));
        this.prefix = pre.stream().mapToInt(Integer::intValue).toArray();
        this.suffix = post.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Reads a {@code tokenizer.json}.
     *
     * @throws IOException naming the file when it is unreadable or uses a component Iris lacks
     */
    public static Tokenizer load(Path tokenizerJson) throws IOException {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(tokenizerJson)) {
            return read(in, tokenizerJson.toString());
        }
    }

    /** Reads a {@code tokenizer.json} from a stream; {@code source} names it in errors. */
    public static Tokenizer read(java.io.InputStream in, String source) throws IOException {
        try {
            return new Tokenizer(new ObjectMapper().readTree(in), source);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IOException(source + ": " + e.getMessage(), e);
        }
    }

    /** The special-token ids the single-sequence template puts before and after the text. */
    private static void template(JsonNode p, List<Integer> pre, List<Integer> post) {
        if (p == null || p.isNull()) {
            return;
        }
        switch (p.path("type").asText()) {
            case "TemplateProcessing" -> {
                boolean afterSequence = false;
                for (JsonNode item : p.get("single")) {
                    if (item.has("Sequence")) {
                        afterSequence = true;
                    } else {
                        String id = item.get("SpecialToken").get("id").asText();
                        for (JsonNode i : p.get("special_tokens").get(id).get("ids")) {
                            (afterSequence ? post : pre).add(i.asInt());
                        }
                    }
                }
            }
            case "Sequence" -> p.get("processors").forEach(x -> template(x, pre, post));
            case "ByteLevel" -> {
                // Offsets only: no ids change.
            }
            default -> throw new IllegalArgumentException("unsupported post-processor type '" + p.path("type").asText() + "'");
        }
    }

    /**
     * Token ids of a rendered prompt: the special tokens added unless the text begins with them
     * already (a rendered Llama-3 prompt starts with its BOS; a second one would change the output).
     */
    public int[] encodePrompt(String text) {
        List<Integer> ids = new ArrayList<>();
        encodeText(text, ids);
        boolean template = prefix.length + suffix.length > 0;
        if (template && !ids.isEmpty() && (prefix.length == 0 || prefix[0] == ids.getFirst())) {
            return toArray(ids);
        }
        return withTemplate(ids);
    }

    /** Token ids of {@code text}; {@code addSpecialTokens} applies the post-processor's template (BOS). */
    public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> ids = new ArrayList<>();
        encodeText(text, ids);
        return addSpecialTokens ? withTemplate(ids) : toArray(ids);
    }

    /**
     * Appends the ids of {@code text}: added tokens cut out in one left-to-right scan (leftmost,
     * then longest), the text between them normalised, pre-tokenised and merged.
     */
    private void encodeText(String text, List<Integer> ids) {
        int at = 0;
        while (true) {
            stopIfInterrupted();
            AddedTokenMatcher.Match<Added> match = added.find(text, at);
            int end = match == null ? text.length() : match.start();
            String segment = text.substring(at, end);
            if (match != null && match.token().lstrip()) {
                segment = segment.stripTrailing();
            }
            encodeSegment(segment, at == 0, ids);
            if (match == null) {
                return;
            }
            ids.add(match.token().id());
            at = match.end();
            if (match.token().rstrip()) {
                while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                    at++;
                }
            }
        }
    }

    private int[] withTemplate(List<Integer> ids) {
        int[] out = new int[prefix.length + ids.size() + suffix.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        for (int i = 0; i < ids.size(); i++) {
            out[prefix.length + i] = ids.get(i);
        }
        System.arraycopy(suffix, 0, out, prefix.length + ids.size(), suffix.length);
        return out;
    }

    private static int[] toArray(List<Integer> ids) {
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodeSegment(String segment, boolean atStart, List<Integer> ids) {
        if (segment.isEmpty()) {
            return;
        }
        for (String piece : preTokenizer.split(normalizer.apply(segment), atStart)) {
            stopIfInterrupted();
            model.encode(piece, ids);
        }
    }

    /**
     * A long text takes a while: a thread that was interrupted (its request's client left) stops
     * here instead of tokenizing on for nobody.
     *
     * @throws CancellationException when the thread is interrupted
     */
    private static void stopIfInterrupted() {
        if (Thread.currentThread().isInterrupted()) {
            throw new CancellationException("tokenizing was cancelled");
        }
    }

    /** The text of {@code ids}; special tokens are dropped when {@code skipSpecialTokens}. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String t = idToToken.get(id);
            if (t != null && !(skipSpecialTokens && specialIds.contains(id))) {
                tokens.add(t);
            }
        }
        return String.join("", decoder.decode(tokens));
    }

    /**
     * A lower bound of the tokens {@code text} becomes, without tokenizing it, so a text far too
     * long for a context can be refused in constant time: a token stands for at most as many
     * characters as its vocabulary entry has (a byte-level token one byte per character, a
     * SentencePiece piece one character each), and normalisation is given room to fold up to
     * {@value #NORMALISATION_FOLD} characters into one (NFC composition).
     */
    public long fewestTokens(String text) {
        long perToken = (long) longestToken * NORMALISATION_FOLD;
        return (text.length() + perToken - 1) / perToken;
    }

    /**
     * The bytes one token stands for, before they are decoded as UTF-8: a byte-level token may be
     * part of a character (its text alone would be U+FFFD), so this is what OpenAI's logprob
     * {@code bytes} carry. Added tokens are their text; SentencePiece pieces their text with
     * {@code ▁} as a space, and {@code <0xNN>} the byte NN.
     */
    public byte[] tokenBytes(int id) {
        String t = idToToken.get(id);
        if (t == null) {
            return new byte[0];
        }
        if (addedIds.contains(id)) {
            return t.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        if (byteLevel) {
            return ByteLevel.bytes(t);
        }
        if (t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
            return new byte[]{(byte) Integer.parseInt(t.substring(3, 5), 16)};
        }
        return t.replace('\u2581', ' ').getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The id of a token (vocabulary or added), if any. */
    public OptionalInt tokenId(String token) {
        Integer id = tokenToId.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Whether an id is a special added token. */
    public boolean isSpecial(int id) {
        return specialIds.contains(id);
    }
}
