package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code --tool-call-parser}: finds the function calls a model wrote in its output, in the format
 * its family was trained on, for requests that offer {@code tools}.
 *
 * <ul>
 *   <li>{@code qwen25}: {@code <tool_call>{"name": …, "arguments": {…}}</tool_call>}, repeated;</li>
 *   <li>{@code mistral}: {@code [TOOL_CALLS] [{"name": …, "arguments": {…}}, …]};</li>
 *   <li>{@code llama3}: a JSON object {@code {"name": …, "parameters": {…}}} as the whole answer
 *       (after {@code <|python_tag|>} when special tokens are kept), several joined by {@code ;}.</li>
 * </ul>
 * Output that does not parse stays ordinary content.
 */
enum ToolCallParser {
    QWEN25("<tool_call>"),
    MISTRAL("[TOOL_CALLS]"),
    LLAMA3("<|python_tag|>");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom IDS = new SecureRandom();

    /** A call: its id ({@code call_<hex>}), the function's name, its arguments as a JSON text. */
    record ToolCall(String id, String name, String arguments) {
    }

    /** The text before the calls and the calls. */
    record Parsed(String content, List<ToolCall> calls) {
    }

    private final String marker;

    ToolCallParser(String marker) {
        this.marker = marker;
    }

    /** The parser a flag value names. */
    static ToolCallParser named(String name) {
        for (ToolCallParser p : values()) {
            if (p.name().toLowerCase(Locale.ROOT).equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown tool-call parser '" + name + "' (expected qwen25, mistral or llama3)");
    }

    /**
     * Where calls begin in {@code text}, or −1 when none may have begun: streaming holds the text
     * back from there, so that a call is never sent as content.
     */
    int callsStart(String text) {
        int at = text.indexOf(marker);
        if (at >= 0) {
            return at;
        }
        if (this == LLAMA3) {
            int first = 0;
            while (first < text.length() && Character.isWhitespace(text.charAt(first))) {
                first++;
            }
            return first < text.length() && text.charAt(first) == '{' ? 0 : -1; // the whole answer is the call
        }
        return -1;
    }

    /** The calls in a finished answer, if it has any that parse. */
    Optional<Parsed> parse(String text) {
        int start = callsStart(text);
        if (start < 0) {
            return Optional.empty();
        }
        String content = text.substring(0, start);
        String calls = text.substring(start);
        String rest = calls.startsWith(marker) ? calls.substring(marker.length()) : calls;
        try {
            List<ToolCall> found = switch (this) {
                case QWEN25 -> qwen25(calls);
                case MISTRAL -> fromArray(JSON.readTree(rest.strip()), "arguments");
                case LLAMA3 -> llama3(rest.strip());
            };
            return found.isEmpty() ? Optional.empty() : Optional.of(new Parsed(content, found));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * How much of a streamed answer is surely content: up to where calls begin, and short of a
     * tail that may be the start of the marker (or, for llama3, of a leading JSON object).
     */
    int safeEnd(CharSequence text) {
        String s = text.toString();
        int start = callsStart(s);
        if (start >= 0) {
            return start;
        }
        if (this == LLAMA3 && s.isBlank()) {
            return 0;
        }
        for (int k = Math.min(marker.length() - 1, s.length()); k > 0; k--) {
            if (s.endsWith(marker.substring(0, k))) {
                return s.length() - k;
            }
        }
        return s.length();
    }

    /** Streaming: the content of an answer that can be sent before it is known whether calls follow. */
    final class Gate {
        private final StringBuilder text = new StringBuilder();
        private int sent;

        /** Takes more of the answer; returns what of it can be sent as content now. */
        String accept(String more) {
            text.append(more);
            int end = Math.max(sent, safeEnd(text));
            String out = text.substring(sent, end);
            sent = end;
            return out;
        }

        /** What was held back (the answer turned out to have no calls). */
        String unsent() {
            return text.substring(sent);
        }
    }

    private static List<ToolCall> qwen25(String text) throws IOException {
        List<ToolCall> calls = new ArrayList<>();
        int at = 0;
        while ((at = text.indexOf("<tool_call>", at)) >= 0) {
            int end = text.indexOf("</tool_call>", at);
            String body = text.substring(at + "<tool_call>".length(), end < 0 ? text.length() : end);
            calls.add(call(JSON.readTree(body.strip()), "arguments"));
            if (end < 0) {
                break;
            }
            at = end + "</tool_call>".length();
        }
        return calls;
    }

    /** Objects joined by {@code ;}: each read as JSON to its end, so a {@code ;} inside the arguments is no cut. */
    private static List<ToolCall> llama3(String text) throws IOException {
        List<ToolCall> calls = new ArrayList<>();
        int at = 0;
        while (at < text.length()) {
            try (com.fasterxml.jackson.core.JsonParser p = JSON.createParser(text.substring(at))) {
                JsonNode n = JSON.readTree(p);
                calls.add(call(n, n != null && n.has("parameters") ? "parameters" : "arguments"));
                at += (int) p.currentLocation().getCharOffset();
            }
            while (at < text.length() && (Character.isWhitespace(text.charAt(at)) || text.charAt(at) == ';')) {
                at++;
            }
        }
        return calls;
    }

    private static List<ToolCall> fromArray(JsonNode array, String argumentsKey) {
        if (array == null || !array.isArray()) {
            throw new IllegalArgumentException("not a list of calls");
        }
        List<ToolCall> calls = new ArrayList<>();
        array.forEach(n -> calls.add(call(n, argumentsKey)));
        return calls;
    }

    private static ToolCall call(JsonNode n, String argumentsKey) {
        if (n == null || !n.isObject() || !n.path("name").isTextual()) {
            throw new IllegalArgumentException("not a call");
        }
        JsonNode args = n.get(argumentsKey);
        String arguments;
        if (args == null || args.isNull()) {
            arguments = "{}";
        } else if (args.isTextual()) {
            arguments = args.asText(); // already a JSON text
        } else {
            arguments = args.toString();
        }
        byte[] id = new byte[12];
        IDS.nextBytes(id);
        return new ToolCall("call_" + HexFormat.of().formatHex(id), n.get("name").asText(), arguments);
    }
}
