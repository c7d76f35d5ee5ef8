package dev.iris.runtime.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The BPE model of a {@code tokenizer.json}: each pre-tokenized piece starts as single characters
 * and the adjacent pair with the lowest merge rank is merged until none is left. Symbols missing
 * from the vocabulary fall back to {@code <0xNN>} byte tokens ({@code byte_fallback}) or to the
 * unknown token (consecutive ones fused with {@code fuse_unk}).
 */
final class BpeModel {

    private final Map<String, Integer> vocab;
    private final Map<String, Integer> ranks; // "left right" → rank
    private final boolean byteFallback;
    private final Integer unk;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;

    BpeModel(Map<String, Integer> vocab, Map<String, Integer> ranks, boolean byteFallback, Integer unk, boolean fuseUnk,
             boolean ignoreMerges) {
        this.vocab = vocab;
        this.ranks = ranks;
        this.byteFallback = byteFallback;
        this.unk = unk;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
    }

    /** Appends the ids of one pre-tokenized piece. */
    void encode(String piece, List<Integer> out) {
        if (piece.isEmpty()) {
            return;
        }
        Integer whole = vocab.get(piece);
        if (ignoreMerges && whole != null) {
            out.add(whole);
            return;
        }
        List<String> symbols = new ArrayList<>();
        piece.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
        while (symbols.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = ranks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
        boolean lastWasUnk = false;
        for (String s : symbols) {
            Integer id = vocab.get(s);
            if (id != null) {
                out.add(id);
                lastWasUnk = false;
            } else if (byteFallback && allBytesKnown(s)) {
                for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                    out.add(vocab.get(byteToken(b)));
                }
                lastWasUnk = false;
            } else if (unk != null) {
                if (!(fuseUnk && lastWasUnk)) {
                    out.add(unk);
                }
                lastWasUnk = true;
            } else {
                throw new IllegalArgumentException("no token for '" + s + "' and the vocabulary has no unknown token");
            }
        }
    }

    private boolean allBytesKnown(String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            if (!vocab.containsKey(byteToken(b))) {
                return false;
            }
        }
        return true;
    }

    static String byteToken(byte b) {
        return String.format("<0x%02X>", b & 0xff);
    }
}
