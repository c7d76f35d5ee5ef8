package dev.iris.runtime.sampling;

import dev.iris.api.sampling.SampledToken;
import dev.iris.api.sampling.SampledToken.TokenLogprob;
import dev.iris.api.sampling.Sampler;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.api.sampling.SamplingState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The built-in sampler ({@code "default"}), with SGLang's semantics: the logit bias, then penalties
 * (repetition over prompt and output, frequency and presence over the output), then greedy
 * arg-max, or temperature, top-k, top-p, min-p and a draw from the request's own random stream.
 * Log-probabilities follow {@link SampledToken}'s definition.
 */
public final class DefaultSampler implements Sampler {

    /** What −∞ log-probabilities are clamped to, so that they stay finite in JSON. */
    static final float MIN_LOGPROB = -Float.MAX_VALUE;

    @Override
    public String name() {
        return "default";
    }

    @Override
    public String description() {
        return "greedy, temperature, top-k, top-p, min-p, penalties, seeds, logprobs";
    }

    @Override
    public SampledToken sample(float[] logits, SamplingParams p, SamplingState state) {
        for (Map.Entry<Integer, Float> bias : p.logitBias().entrySet()) {
            if (bias.getKey() >= 0 && bias.getKey() < logits.length) {
                logits[bias.getKey()] += bias.getValue();
            }
        }
        applyPenalties(logits, p, state);
        if (p.isGreedy()) {
            int best = argmax(logits);
            if (p.topLogprobs() == 0) {
                // Only the chosen token's logprob, and only when asked: the normaliser takes an exp per
                // vocabulary entry, ~5% of a 2B model's quantized decode step at 152k tokens.
                return new SampledToken(best, p.logprobs() ? clamp(logits[best] - logNormalizer(logits, 1f)) : Float.NaN,
                        List.of());
            }
            return result(best, logSoftmax(logits, 1f), p.topLogprobs());
        }
        // probs = softmax(logits / T), in place of the logits.
        float[] probs = logits;
        softmaxInPlace(probs, p.temperature());
        int[] order = byDescendingProbability(probs);
        // Reported logprobs: the top-p nucleus of the full distribution.
        float[] logprobs = nucleusLogprobs(probs, order, nucleusSize(probs, order, order.length, p.topP()));
        // Sampling: top-k, then top-p over the top-k renormalised, then min-p.
        int keep = p.topK() > 0 ? Math.min(p.topK(), order.length) : order.length;
        keep = nucleusSize(probs, order, keep, p.topP());
        if (p.minP() > 0) {
            float floor = p.minP() * probs[order[0]];
            int k = 1;
            while (k < keep && probs[order[k]] >= floor) {
                k++;
            }
            keep = k;
        }
        double total = 0;
        for (int i = 0; i < keep; i++) {
            total += probs[order[i]];
        }
        double r = state.random().nextDouble() * total;
        int chosen = order[keep - 1];
        for (int i = 0; i < keep; i++) {
            r -= probs[order[i]];
            if (r < 0) {
                chosen = order[i];
                break;
            }
        }
        return result(chosen, logprobs, p.topLogprobs());
    }

    /** Repetition (prompt + output, multiplicative), frequency and presence (output, additive). */
    private static void applyPenalties(float[] logits, SamplingParams p, SamplingState state) {
        if (p.repetitionPenalty() != 1f) {
            boolean[] seen = new boolean[logits.length];
            mark(seen, state.promptTokens());
            mark(seen, state.generatedTokens());
            for (int t = 0; t < seen.length; t++) {
                if (seen[t]) {
                    logits[t] = logits[t] > 0 ? logits[t] / p.repetitionPenalty() : logits[t] * p.repetitionPenalty();
                }
            }
        }
        if (p.frequencyPenalty() != 0f || p.presencePenalty() != 0f) {
            int[] counts = new int[logits.length];
            for (int t : state.generatedTokens()) {
                if (t >= 0 && t < counts.length) {
                    counts[t]++;
                }
            }
            for (int t = 0; t < counts.length; t++) {
                if (counts[t] > 0) {
                    logits[t] -= p.frequencyPenalty() * counts[t] + p.presencePenalty();
                }
            }
        }
    }

    private static void mark(boolean[] seen, int[] tokens) {
        for (int t : tokens) {
            if (t >= 0 && t < seen.length) {
                seen[t] = true;
            }
        }
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    /** log softmax(x / t), computed in double with the maximum subtracted. */
    static float[] logSoftmax(float[] x, float t) {
        double logZ = logNormalizer(x, t);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = clamp(x[i] / t - logZ);
        }
        return out;
    }

    /** log Σ exp(x / t), in double with the maximum subtracted. */
    private static double logNormalizer(float[] x, float t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v / t);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v / t - max);
        }
        return max + Math.log(sum);
    }

    private static void softmaxInPlace(float[] x, float t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v / t);
        }
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double e = Math.exp(x[i] / t - max);
            x[i] = (float) e;
            sum += e;
        }
        float inv = (float) (1 / sum);
        for (int i = 0; i < x.length; i++) {
            x[i] *= inv;
        }
    }

    /**
     * Token ids with non-zero probability, most likely first (ties by id). Sorts packed
     * (probability, id) longs: probabilities are non-negative, so their float bits order like
     * the values.
     */
    private static int[] byDescendingProbability(float[] probs) {
        long[] packed = new long[probs.length];
        int n = 0;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                packed[n++] = ((long) Float.floatToRawIntBits(probs[i]) << 32) | (0xffffffffL - i);
            }
        }
        Arrays.sort(packed, 0, n);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = (int) (0xffffffffL - (packed[n - 1 - i] & 0xffffffffL));
        }
        return order;
    }

    /**
     * The smallest prefix of the first {@code n} tokens of {@code order} whose probability,
     * renormalised over those {@code n}, reaches {@code topP} (at least one token).
     */
    private static int nucleusSize(float[] probs, int[] order, int n, float topP) {
        if (topP >= 1f) {
            return n;
        }
        double mass = 0;
        for (int i = 0; i < n; i++) {
            mass += probs[order[i]];
        }
        double cum = 0;
        for (int i = 0; i < n; i++) {
            cum += probs[order[i]];
            if (cum >= topP * mass) {
                return i + 1;
            }
        }
        return n;
    }

    /** log of the probabilities renormalised over the first {@code keep} tokens; others get {@link #MIN_LOGPROB}. */
    private static float[] nucleusLogprobs(float[] probs, int[] order, int keep) {
        double mass = 0;
        for (int i = 0; i < keep; i++) {
            mass += probs[order[i]];
        }
        float[] out = new float[probs.length];
        Arrays.fill(out, MIN_LOGPROB);
        double logMass = Math.log(mass);
        for (int i = 0; i < keep; i++) {
            out[order[i]] = clamp(Math.log(probs[order[i]]) - logMass);
        }
        return out;
    }

    private static float clamp(double logprob) {
        return (float) Math.max(Math.min(logprob, 0), MIN_LOGPROB);
    }

    static SampledToken result(int chosen, float[] logprobs, int topN) {
        List<TokenLogprob> top = new ArrayList<>(topN);
        if (topN > 0) {
            // Partial selection: topN passes are cheap for the small N clients ask for.
            boolean[] taken = new boolean[logprobs.length];
            for (int k = 0; k < Math.min(topN, logprobs.length); k++) {
                int best = -1;
                for (int i = 0; i < logprobs.length; i++) {
                    if (!taken[i] && (best < 0 || logprobs[i] > logprobs[best])) {
                        best = i;
                    }
                }
                taken[best] = true;
                top.add(new TokenLogprob(best, logprobs[best]));
            }
        }
        return new SampledToken(chosen, logprobs[chosen], top);
    }
}
