package dev.iris.runtime.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finished requests' K/V pages, kept in a tree keyed by their tokens so a later request with the
 * same prefix reuses them instead of computing them again (SGLang's radix cache, at page
 * granularity: one tree level per full page). A token's key is its id, or for an image position
 * a key from {@link ImageKeys} that encodes the image's content hash and the offset inside it, so
 * equal text with different images never shares a page. Pages in use by a running request are
 * pinned; the least recently used unpinned leaves are evicted when the pool runs short.
 * Used from the engine thread only.
 */
public final class PrefixCache {

    private final KvPagePool pool;
    private final Node root = new Node(null, null, -1);
    private long clock;
    private int pages;
    /** Cached pages some running request uses (not evictable). */
    private int pinned;

    /** One cached page: the keys of its tokens and the page that holds their K/V. */
    private static final class Node {
        final Node parent;
        final long[] keys;
        final int page;
        final Map<KeyOf, Node> children = new HashMap<>();
        int pins;
        long lastUsed;

        Node(Node parent, long[] keys, int page) {
            this.parent = parent;
            this.keys = keys;
            this.page = page;
        }
    }

    /** A page's keys as a map key. */
    private record KeyOf(long[] keys) {
        @Override
        public boolean equals(Object o) {
            return o instanceof KeyOf k && Arrays.equals(keys, k.keys);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(keys);
        }
    }

    /** A looked-up prefix: its pages, pinned until {@link #release}. */
    public static final class Match {
        private final List<Node> nodes;

        private Match(List<Node> nodes) {
            this.nodes = nodes;
        }

        /** The cached pages, in token order. */
        public int[] pages() {
            return nodes.stream().mapToInt(n -> n.page).toArray();
        }

        /** Tokens covered. */
        public int tokens(int pageSize) {
            return nodes.size() * pageSize;
        }
    }

    public PrefixCache(KvPagePool pool) {
        this.pool = pool;
    }

    /** Pages the cache holds. */
    public int cachedPages() {
        return pages;
    }

    /** Cached pages no running request uses: what {@link #evict} can free. */
    public int evictablePages() {
        return pages - pinned;
    }

    /** The longest cached prefix of {@code keys[0, limit)} in whole pages, pinned. */
    public Match lookup(long[] keys, int limit) {
        List<Node> path = path(keys, limit);
        long now = ++clock;
        for (Node n : path) {
            if (n.pins++ == 0) {
                pinned++;
            }
            n.lastUsed = now;
        }
        return new Match(path);
    }

    /**
     * What {@link #lookup} would find for {@code keys[0, limit)}, without pinning or touching it.
     *
     * @param tokens          tokens cached
     * @param evictablePages  pages of the match that nobody pins now: a lookup would take them out
     *                        of {@link #evictablePages()}
     */
    public record Probe(int tokens, int evictablePages) {
    }

    /** Probes the longest cached prefix of {@code keys[0, limit)}. */
    public Probe probe(long[] keys, int limit) {
        List<Node> path = path(keys, limit);
        int unpinned = 0;
        for (Node n : path) {
            if (n.pins == 0) {
                unpinned++;
            }
        }
        return new Probe(path.size() * pool.pageSize(), unpinned);
    }

    private List<Node> path(long[] keys, int limit) {
        int ps = pool.pageSize();
        List<Node> path = new ArrayList<>();
        Node at = root;
        for (int p = 0; (p + 1) * ps <= limit; p++) {
            Node next = at.children.get(new KeyOf(Arrays.copyOfRange(keys, p * ps, (p + 1) * ps)));
            if (next == null) {
                break;
            }
            path.add(next);
            at = next;
        }
        return path;
    }

    /** Unpins a looked-up prefix. */
    public void release(Match match) {
        for (Node n : match.nodes) {
            if (--n.pins == 0) {
                pinned--;
            }
        }
    }

    /**
     * Takes over a finished sequence's full pages: {@code pages[i]} holds tokens
     * {@code keys[i·pageSize, (i+1)·pageSize)}. A page whose prefix is cached already (by another
     * request meanwhile) is not needed and goes back to the pool.
     */
    public void insert(long[] keys, int[] pages, int fullPages) {
        int ps = pool.pageSize();
        Node at = root;
        long now = ++clock;
        for (int p = 0; p < fullPages; p++) {
            long[] k = Arrays.copyOfRange(keys, p * ps, (p + 1) * ps);
            KeyOf key = new KeyOf(k);
            Node next = at.children.get(key);
            if (next == null) {
                next = new Node(at, k, pages[p]);
                at.children.put(key, next);
                this.pages++;
            } else if (next.page != pages[p]) {
                pool.give(new int[]{pages[p]}, 1);
            }
            next.lastUsed = now;
            at = next;
        }
    }

    /**
     * Frees up to {@code wanted} pages, least recently used unpinned leaves first; a parent whose
     * last child goes becomes a candidate in turn. One walk of the tree, whatever {@code wanted} is.
     *
     * @return pages returned to the pool
     */
    public int evict(int wanted) {
        java.util.PriorityQueue<Node> leaves = new java.util.PriorityQueue<>(
                java.util.Comparator.comparingLong((Node n) -> n.lastUsed));
        collectEvictableLeaves(root, leaves);
        int freed = 0;
        while (freed < wanted && !leaves.isEmpty()) {
            Node victim = leaves.poll();
            Node parent = victim.parent;
            parent.children.remove(new KeyOf(victim.keys));
            pool.give(new int[]{victim.page}, 1);
            pages--;
            freed++;
            if (parent != root && parent.children.isEmpty() && parent.pins == 0) {
                leaves.add(parent);
            }
        }
        return freed;
    }

    private static void collectEvictableLeaves(Node n, java.util.PriorityQueue<Node> into) {
        for (Node c : n.children.values()) {
            if (c.children.isEmpty()) {
                if (c.pins == 0) {
                    into.add(c);
                }
            } else {
                collectEvictableLeaves(c, into);
            }
        }
    }
}
