package dev.iris.runtime.text;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Turns generated tokens into text deltas for streaming. A byte-level BPE token may carry only
 * part of a UTF-8 character, and SentencePiece decodes a token differently at the start of a
 * text; so each step decodes a small window of recent tokens, and text is released only once it
 * no longer ends in an incomplete character (U+FFFD). {@link #finish()} releases the rest, so
 * the deltas always concatenate to the one-shot decode of all tokens.
 */
public final class IncrementalDetokenizer {

    private static final char REPLACEMENT = '\uFFFD';

    private final Function<int[], String> decode;
    private int[] ids = new int[16];
    private int count;
    /** Start of the decoding window: a few tokens of context before the unreleased ones. */
    private int prefixOffset;
    /** First token whose text has not been released. */
    private int readOffset;
    private final StringBuilder released = new StringBuilder();

    /** @param decode decodes a run of token ids to text (special-token handling already chosen) */
    public IncrementalDetokenizer(Function<int[], String> decode) {
        this.decode = decode;
    }

    /** Adds a token; returns the text it makes final (often empty inside a multi-byte character). */
    public String add(int token) {
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = token;
        String prefix = decode.apply(Arrays.copyOfRange(ids, prefixOffset, readOffset));
        String full = decode.apply(Arrays.copyOfRange(ids, prefixOffset, count));
        if (full.length() <= prefix.length() || full.charAt(full.length() - 1) == REPLACEMENT
                || !full.startsWith(prefix)) {
            return "";
        }
        String delta = full.substring(prefix.length());
        prefixOffset = readOffset;
        readOffset = count;
        released.append(delta);
        return delta;
    }

    /** Releases whatever is left, so that all deltas equal the decode of every token at once. */
    public String finish() {
        String all = decode.apply(Arrays.copyOf(ids, count));
        String rest = all.startsWith(released.toString()) ? all.substring(released.length()) : "";
        released.append(rest);
        readOffset = count;
        prefixOffset = count;
        return rest;
    }
}
