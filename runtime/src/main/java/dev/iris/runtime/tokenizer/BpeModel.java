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
        List<String> symbols = merge(piece);
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

    /** A candidate merge of the symbols at {@code left} and {@code right}, valid while both still hold these texts. */
    private record Pair(int rank, int left, int right, String leftText, String rightText) {
    }

    /**
     * Applies the merges lowest rank first (leftmost first among equal ranks), as Hugging Face
     * tokenizers do, over a linked list of symbols with a priority queue of candidate pairs:
     * O(n log n) in the piece length, which matters for SentencePiece vocabularies where a whole
     * text is one piece.
     */
    private List<String> merge(String piece) {
        List<String> text = new ArrayList<>();
        piece.codePoints().forEach(cp -> text.add(new String(Character.toChars(cp))));
        int n = text.size();
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        java.util.PriorityQueue<Pair> queue = new java.util.PriorityQueue<>(
                java.util.Comparator.comparingInt(Pair::rank).thenComparingInt(Pair::left));
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, text, i, i + 1);
        }
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            String l = text.get(p.left());
            String r = text.get(p.right());
            if (l == null || r == null || next[p.left()] != p.right() || !l.equals(p.leftText()) || !r.equals(p.rightText())) {
                continue; // stale: one side was merged since
            }
            text.set(p.left(), l + r);
            text.set(p.right(), null);
            int after = next[p.right()];
            next[p.left()] = after;
            if (after >= 0) {
                prev[after] = p.left();
                offer(queue, text, p.left(), after);
            }
            if (prev[p.left()] >= 0) {
                offer(queue, text, prev[p.left()], p.left());
            }
        }
        List<String> out = new ArrayList<>();
        for (int i = n == 0 ? -1 : 0; i >= 0; i = next[i]) {
            out.add(text.get(i));
        }
        return out;
    }

    private void offer(java.util.PriorityQueue<Pair> queue, List<String> text, int left, int right) {
        Integer rank = ranks.get(text.get(left) + " " + text.get(right));
        if (rank != null) {
            queue.add(new Pair(rank, left, right, text.get(left), text.get(right)));
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
