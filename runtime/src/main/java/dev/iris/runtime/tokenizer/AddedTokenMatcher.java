package dev.iris.runtime.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds a tokenizer's added tokens in a text, leftmost first and longest among those starting at
 * the same place (Hugging Face's {@code LeftmostLongest}), with one trie over their contents. A
 * whole text is scanned once: each position is looked at by at most one walk of the trie, which
 * is as deep as the longest added token, so the work is linear in the text however many added
 * tokens it holds or the tokenizer has.
 */
final class AddedTokenMatcher<T> {

    /** {@code token} found at {@code [start, end)}. */
    record Match<T>(int start, int end, T token) {
    }

    private static final class Node<T> {
        final Map<Character, Node<T>> next = new HashMap<>();
        T token;
    }

    private final Node<T> root = new Node<>();
    /** Whether some added token begins with this char (most text chars start none: one array read). */
    private final boolean[] starts = new boolean[Character.MAX_VALUE + 1];

    /** @param content the text each token stands for; tokens with the same text: the first wins */
    AddedTokenMatcher(List<T> tokens, java.util.function.Function<T, String> content) {
        for (T t : tokens) {
            String c = content.apply(t);
            if (c.isEmpty()) {
                continue;
            }
            Node<T> n = root;
            for (int i = 0; i < c.length(); i++) {
                n = n.next.computeIfAbsent(c.charAt(i), k -> new Node<>());
            }
            if (n.token == null) {
                n.token = t;
            }
            starts[c.charAt(0)] = true;
        }
    }

    /** The first match at or after {@code from}, the longest among those starting there; null when none. */
    Match<T> find(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            if (!starts[text.charAt(i)]) {
                continue;
            }
            Node<T> n = root;
            T longest = null;
            int end = -1;
            for (int j = i; j < text.length(); j++) {
                n = n.next.get(text.charAt(j));
                if (n == null) {
                    break;
                }
                if (n.token != null) {
                    longest = n.token;
                    end = j + 1;
                }
            }
            if (longest != null) {
                return new Match<>(i, end, longest);
            }
        }
        return null;
    }
}
