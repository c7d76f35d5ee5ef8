package dev.iris.runtime.grammar;

import dev.iris.runtime.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The bytes each token adds to the text, as the grammar sees them, and the tokens sorted by
 * those bytes so that tokens sharing a prefix are walked once. Special tokens (chat markers,
 * image placeholders, EOS), ids the tokenizer lacks (padding rows of the logits) and tokens of no
 * bytes are never allowed by a grammar; EOS is allowed separately when the text may end.
 */
public final class TokenVocabulary {

    /** Logit rows: ids {@code [0, size)}. */
    final int size;
    /** Per id: its bytes, or null when a grammar never allows it. */
    final byte[][] bytes;
    /** Ids with bytes, in lexicographic (unsigned) order of their bytes. */
    final int[] sorted;
    /** Per position of {@link #sorted}: bytes it shares with the token before it. */
    final int[] sharedPrefix;
    /** Per byte value b: the first position of {@link #sorted} whose token starts above b. */
    final int[] firstByteEnd = new int[256];
    /**
     * Whether the decoder drops the space a text's first token starts with (SentencePiece's
     * {@code ▁Hello} at the start decodes to {@code Hello}): the grammar then sees the first
     * token without it.
     */
    final boolean dropsLeadingSpace;

    TokenVocabulary(byte[][] bytes, boolean dropsLeadingSpace) {
        this.size = bytes.length;
        this.bytes = bytes;
        this.dropsLeadingSpace = dropsLeadingSpace;
        this.sorted = IntStream.range(0, size).filter(i -> bytes[i] != null).boxed()
                .sorted(Comparator.comparing(i -> bytes[i], Arrays::compareUnsigned))
                .mapToInt(Integer::intValue).toArray();
        this.sharedPrefix = new int[sorted.length];
        for (int k = 1; k < sorted.length; k++) {
            byte[] a = bytes[sorted[k - 1]];
            byte[] b = bytes[sorted[k]];
            int m = Arrays.mismatch(a, b);
            sharedPrefix[k] = m < 0 ? a.length : m;
        }
        int k = 0;
        for (int b = 0; b < 256; b++) {
            while (k < sorted.length && (bytes[sorted[k]][0] & 0xFF) <= b) {
                k++;
            }
            firstByteEnd[b] = k;
        }
    }

    /** The vocabulary of a model's tokenizer over {@code logitRows} ids (the logits may have padding rows). */
    public static TokenVocabulary of(Tokenizer tokenizer, int logitRows) {
        byte[][] bytes = new byte[logitRows][];
        for (int id = 0; id < logitRows; id++) {
            byte[] b = tokenizer.tokenBytes(id); // empty for an id the tokenizer lacks
            bytes[id] = b.length == 0 || tokenizer.isSpecial(id) ? null : b;
        }
        return new TokenVocabulary(bytes, dropsLeadingSpace(tokenizer, bytes));
    }

    /** Decodes a token that starts with a space and a letter alone, and sees whether the space survives. */
    private static boolean dropsLeadingSpace(Tokenizer tokenizer, byte[][] bytes) {
        for (int id = 0; id < bytes.length; id++) {
            byte[] b = bytes[id];
            if (b != null && b.length >= 2 && b[0] == ' ' && Character.isLetter(b[1])) {
                return !tokenizer.decode(new int[]{id}, true).startsWith(" ");
            }
        }
        return false;
    }

    /** The bytes token {@code id} adds as the text's first token, or null when never allowed there. */
    byte[] firstBytes(int id) {
        byte[] b = bytes[id];
        if (b == null || !dropsLeadingSpace || b[0] != ' ') {
            return b;
        }
        return b.length == 1 ? null : Arrays.copyOfRange(b, 1, b.length);
    }
}
