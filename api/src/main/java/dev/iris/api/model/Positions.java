package dev.iris.api.model;

/**
 * Rotary positions of a run of tokens: one axis for ordinary RoPE, three (temporal, height,
 * width) for Qwen2-VL's M-RoPE. A position is not the token's slot in the K/V cache: after an
 * image, M-RoPE positions run behind the slot index.
 *
 * @param axes   1 or 3
 * @param values {@code axes × tokens} values, axis-major: token {@code t}'s position on axis
 *               {@code a} is {@code values[a * tokens + t]}
 */
public record Positions(int axes, int[] values) {

    public Positions {
        if (axes <= 0 || values.length % axes != 0) {
            throw new IllegalArgumentException(values.length + " position values do not fill " + axes + " axes");
        }
        values = values.clone();
    }

    /** Positions {@code start, start+1, …} on every axis. */
    public static Positions sequential(int axes, int start, int tokens) {
        int[] v = new int[axes * tokens];
        for (int a = 0; a < axes; a++) {
            for (int t = 0; t < tokens; t++) {
                v[a * tokens + t] = start + t;
            }
        }
        return new Positions(axes, v);
    }

    /** Number of tokens. */
    public int tokens() {
        return values.length / axes;
    }

    /** Token {@code t}'s position on axis {@code axis}. */
    public int at(int axis, int t) {
        return values[axis * tokens() + t];
    }

    /** Tokens {@code [from, to)} of these positions. */
    public Positions slice(int from, int to) {
        int n = tokens();
        int len = to - from;
        int[] v = new int[axes * len];
        for (int a = 0; a < axes; a++) {
            System.arraycopy(values, a * n + from, v, a * len, len);
        }
        return new Positions(axes, v);
    }

    @Override
    public int[] values() {
        return values.clone();
    }
}
