package dev.iris.runtime.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text stages of a {@code tokenizer.json} that Iris's families use, built from their JSON:
 * normalizers (NFC, NFKC, Prepend, Replace, Lowercase, Sequence), pre-tokenizers (Split,
 * ByteLevel, Metaspace, Sequence) and decoders (ByteLevel, Metaspace, Replace, ByteFallback,
 * Fuse, Strip, Sequence). An unknown type is an error naming it, never a silent mis-tokenization.
 */
final class TextPipeline {

    /** GPT-2's pre-tokenization, used by ByteLevel with {@code use_regex}. */
    private static final Pattern GPT2 = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private TextPipeline() {
    }

    interface TextNormalizer {
        String apply(String s);
    }

    interface PreTokenizer {
        /** Splits one piece; {@code atStart} is true for the first piece of the whole input. */
        List<String> split(String piece, boolean atStart);
    }

    interface Decoder {
        List<String> decode(List<String> tokens);
    }

    static TextNormalizer normalizer(JsonNode n) {
        if (n == null || n.isNull()) {
            return s -> s;
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "NFC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFC);
            case "NFKC" -> s -> Normalizer.normalize(s, Normalizer.Form.NFKC);
            case "Lowercase" -> s -> s.toLowerCase(java.util.Locale.ROOT);
            case "Prepend" -> {
                String prefix = n.get("prepend").asText();
                yield s -> s.isEmpty() ? s : prefix + s;
            }
            case "Replace" -> {
                Pattern p = pattern(n.get("pattern"));
                String content = Matcher.quoteReplacement(n.get("content").asText());
                yield s -> p.matcher(s).replaceAll(content);
            }
            case "Sequence" -> {
                List<TextNormalizer> steps = new ArrayList<>();
                n.get("normalizers").forEach(x -> steps.add(normalizer(x)));
                yield s -> {
                    for (TextNormalizer step : steps) {
                        s = step.apply(s);
                    }
                    return s;
                };
            }
            default -> throw new IllegalArgumentException("unsupported normalizer type '" + type + "'");
        };
    }

    static PreTokenizer preTokenizer(JsonNode n) {
        if (n == null || n.isNull()) {
            return (s, atStart) -> List.of(s);
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "Split" -> {
                if (!n.path("behavior").asText().equals("Isolated") || n.path("invert").asBoolean(false)) {
                    throw new IllegalArgumentException("unsupported Split pre-tokenizer " + n);
                }
                Pattern p = pattern(n.get("pattern"));
                yield (s, atStart) -> isolate(p, s);
            }
            case "ByteLevel" -> {
                boolean prefixSpace = n.path("add_prefix_space").asBoolean(false);
                boolean useRegex = n.path("use_regex").asBoolean(true);
                yield (s, atStart) -> {
                    String t = prefixSpace && atStart && !s.startsWith(" ") ? " " + s : s;
                    List<String> out = new ArrayList<>();
                    for (String piece : useRegex ? isolate(GPT2, t) : List.of(t)) {
                        out.add(ByteLevel.encode(piece));
                    }
                    return out;
                };
            }
            case "Metaspace" -> {
                String rep = n.path("replacement").asText("▁");
                String scheme = n.path("prepend_scheme").asText(n.path("add_prefix_space").asBoolean(true) ? "always" : "never");
                if (n.path("split").asBoolean(false)) {
                    throw new IllegalArgumentException("unsupported Metaspace with split=true");
                }
                yield (s, atStart) -> {
                    String t = s.replace(" ", rep);
                    boolean prepend = scheme.equals("always") || (scheme.equals("first") && atStart);
                    return List.of(prepend && !t.startsWith(rep) ? rep + t : t);
                };
            }
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                n.get("pretokenizers").forEach(x -> steps.add(preTokenizer(x)));
                yield (s, atStart) -> {
                    List<String> pieces = List.of(s);
                    for (PreTokenizer step : steps) {
                        List<String> next = new ArrayList<>();
                        for (int i = 0; i < pieces.size(); i++) {
                            next.addAll(step.split(pieces.get(i), atStart && i == 0));
                        }
                        pieces = next;
                    }
                    return pieces;
                };
            }
            default -> throw new IllegalArgumentException("unsupported pre-tokenizer type '" + type + "'");
        };
    }

    static Decoder decoder(JsonNode n) {
        if (n == null || n.isNull()) {
            return tokens -> List.of(String.join(" ", tokens));
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "ByteLevel" -> tokens -> List.of(ByteLevel.decode(String.join("", tokens)));
            case "Metaspace" -> {
                String rep = n.path("replacement").asText("▁");
                boolean strip = !n.path("prepend_scheme").asText("always").equals("never");
                yield tokens -> {
                    List<String> out = new ArrayList<>();
                    for (int i = 0; i < tokens.size(); i++) {
                        String t = tokens.get(i).replace(rep, " ");
                        out.add(i == 0 && strip && t.startsWith(" ") ? t.substring(1) : t);
                    }
                    return out;
                };
            }
            case "Replace" -> {
                Pattern p = pattern(n.get("pattern"));
                String content = Matcher.quoteReplacement(n.get("content").asText());
                yield tokens -> tokens.stream().map(t -> p.matcher(t).replaceAll(content)).toList();
            }
            case "ByteFallback" -> TextPipeline::byteFallback;
            case "Fuse" -> tokens -> List.of(String.join("", tokens));
            case "Strip" -> {
                String c = n.get("content").asText();
                int start = n.path("start").asInt(0);
                int stop = n.path("stop").asInt(0);
                yield tokens -> tokens.stream().map(t -> strip(t, c, start, stop)).toList();
            }
            case "Sequence" -> {
                List<Decoder> steps = new ArrayList<>();
                n.get("decoders").forEach(x -> steps.add(decoder(x)));
                yield tokens -> {
                    for (Decoder step : steps) {
                        tokens = step.decode(tokens);
                    }
                    return tokens;
                };
            }
            default -> throw new IllegalArgumentException("unsupported decoder type '" + type + "'");
        };
    }

    /** Matches and the text between them, in order, none empty (split behaviour "Isolated"). */
    private static List<String> isolate(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        int at = 0;
        while (m.find()) {
            if (m.end() == m.start()) {
                continue;
            }
            if (m.start() > at) {
                out.add(s.substring(at, m.start()));
            }
            out.add(m.group());
            at = m.end();
        }
        if (at < s.length()) {
            out.add(s.substring(at));
        }
        return out;
    }

    /** Runs of {@code <0xNN>} tokens become the UTF-8 text of their bytes (U+FFFD per byte when invalid). */
    private static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (String t : tokens) {
            if (t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
                bytes.write(Integer.parseInt(t.substring(3, 5), 16));
                continue;
            }
            flushBytes(bytes, out);
            out.add(t);
        }
        flushBytes(bytes, out);
        return out;
    }

    private static void flushBytes(java.io.ByteArrayOutputStream bytes, List<String> out) {
        if (bytes.size() == 0) {
            return;
        }
        byte[] b = bytes.toByteArray();
        bytes.reset();
        var decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder();
        try {
            out.add(decoder.decode(java.nio.ByteBuffer.wrap(b)).toString());
        } catch (java.nio.charset.CharacterCodingException e) {
            out.add("\uFFFD".repeat(b.length));
        }
    }

    private static String strip(String t, String c, int start, int stop) {
        int from = 0;
        while (from < start && t.startsWith(c, from)) {
            from += c.length();
        }
        int to = t.length();
        for (int i = 0; i < stop && to > from && t.startsWith(c, to - c.length()); i++) {
            to -= c.length();
        }
        return t.substring(from, to);
    }

    private static Pattern pattern(JsonNode p) {
        if (p.has("String")) {
            return Pattern.compile(Pattern.quote(p.get("String").asText()));
        }
        if (p.has("Regex")) {
            return Pattern.compile(p.get("Regex").asText(), Pattern.UNICODE_CHARACTER_CLASS);
        }
        throw new IllegalArgumentException("unsupported pattern " + p);
    }
}
