package dev.iris.runtime.sampling;

import dev.iris.api.sampling.SampledToken;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.api.sampling.SamplingState;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DefaultSamplerTest {

    private final DefaultSampler sampler = new DefaultSampler();
    private final Random rnd = new Random(3);

    record State(int[] promptTokens, int[] generatedTokens, RandomGenerator random) implements SamplingState {
        static State seeded(long seed) {
            return new State(new int[0], new int[0], new SplittableRandom(seed));
        }
    }

    private static SamplingParams params(float temperature, float topP, int topK, float minP, int topLogprobs) {
        return new SamplingParams(temperature, topP, topK, minP, 1f, 0f, 0f, null, topLogprobs);
    }

    private float[] logits(int n) {
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            l[i] = (float) rnd.nextGaussian() * 3;
        }
        return l;
    }

    private static int argmax(float[] x) {
        int b = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[b]) {
                b = i;
            }
        }
        return b;
    }

    @Test
    void aSeededRequestIsReproducible() {
        float[][] rows = new float[50][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = logits(500);
        }
        SamplingParams p = params(0.9f, 0.95f, 50, 0.01f, 0);
        int[] first = new int[rows.length];
        int[] second = new int[rows.length];
        State a = State.seeded(1234);
        State b = State.seeded(1234);
        State c = State.seeded(99);
        int differs = 0;
        for (int i = 0; i < rows.length; i++) {
            first[i] = sampler.sample(rows[i].clone(), p, a).tokenId();
            second[i] = sampler.sample(rows[i].clone(), p, b).tokenId();
            differs += first[i] != sampler.sample(rows[i].clone(), p, c).tokenId() ? 1 : 0;
        }
        assertEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(second));
        assertTrue(differs > 0, "another seed should give another sequence");
    }

    @Test
    void temperatureZeroAndTopKOneAreGreedy() {
        for (int i = 0; i < 20; i++) {
            float[] l = logits(1000);
            int best = argmax(l);
            assertEquals(best, sampler.sample(l.clone(), params(0f, 1f, -1, 0f, 0), State.seeded(i)).tokenId());
            assertEquals(best, sampler.sample(l.clone(), params(1f, 1f, 1, 0f, 0), State.seeded(i)).tokenId());
            assertEquals(best, sampler.sample(l.clone(), params(1e-7f, 0.5f, 10, 0f, 0), State.seeded(i)).tokenId());
        }
    }

    @Test
    void greedyLogprobsAreTheLogSoftmaxOfTheLogits() {
        float[] l = logits(300);
        SampledToken t = sampler.sample(l.clone(), params(0f, 1f, -1, 0f, 5), State.seeded(1));
        double max = Double.NEGATIVE_INFINITY;
        for (float v : l) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : l) {
            sum += Math.exp(v - max);
        }
        double logZ = max + Math.log(sum);
        assertEquals(l[t.tokenId()] - logZ, t.logprob(), 1e-5);
        assertEquals(5, t.topLogprobs().size());
        assertEquals(t.tokenId(), t.topLogprobs().getFirst().tokenId());
        double mass = 0;
        float previous = 0;
        for (SampledToken.TokenLogprob lp : t.topLogprobs()) {
            assertEquals(l[lp.tokenId()] - logZ, lp.logprob(), 1e-5);
            assertTrue(lp.logprob() <= previous);
            previous = lp.logprob();
            mass += Math.exp(lp.logprob());
        }
        assertTrue(mass <= 1 + 1e-6, "top logprobs sum to " + mass);
    }

    /** Without logprobs asked for, greedy picks the same token and leaves the vocabulary-wide normaliser out. */
    @Test
    void greedyWithoutLogprobsAskedForPicksTheSameTokenAndLeavesItsLogprobOut() {
        float[] l = logits(300);
        SamplingParams p = SamplingParams.GREEDY;
        SampledToken wanted = sampler.sample(l.clone(), p, State.seeded(1));
        SampledToken unwanted = sampler.sample(l.clone(), new SamplingParams(p.temperature(), p.topP(), p.topK(), p.minP(),
                p.repetitionPenalty(), p.frequencyPenalty(), p.presencePenalty(), p.seed(), 0, Map.of(), false),
                State.seeded(1));
        assertEquals(wanted.tokenId(), unwanted.tokenId());
        assertFalse(Float.isNaN(wanted.logprob()));
        assertTrue(Float.isNaN(unwanted.logprob()));
    }

    @Test
    void sampledLogprobsAreTheTemperatureSoftmaxRenormalisedOverTheNucleus() {
        float[] l = {2f, 1f, 0.5f, -1f, -3f};
        float temperature = 0.7f;
        float topP = 0.8f;
        double[] p = new double[l.length];
        double z = 0;
        for (int i = 0; i < l.length; i++) {
            p[i] = Math.exp(l[i] / temperature);
            z += p[i];
        }
        for (int i = 0; i < l.length; i++) {
            p[i] /= z;
        }
        // Sorted by construction: the nucleus is the shortest prefix reaching 0.8.
        int keep = 0;
        double cum = 0;
        while (cum < topP) {
            cum += p[keep++];
        }
        for (long seed = 0; seed < 30; seed++) {
            SampledToken t = sampler.sample(l.clone(), params(temperature, topP, -1, 0f, l.length), State.seeded(seed));
            assertTrue(t.tokenId() < keep, "sampled outside the nucleus: " + t.tokenId());
            assertEquals(Math.log(p[t.tokenId()] / cum), t.logprob(), 1e-5);
            for (SampledToken.TokenLogprob lp : t.topLogprobs()) {
                double expected = lp.tokenId() < keep ? Math.log(p[lp.tokenId()] / cum) : DefaultSampler.MIN_LOGPROB;
                assertEquals(expected, lp.logprob(), Math.abs(expected) * 1e-5 + 1e-5);
            }
        }
    }

    @Test
    void drawsFollowTheTemperatureDistribution() {
        float[] l = {1.5f, 1f, 0f, -0.5f};
        float temperature = 1.3f;
        int draws = 40_000;
        int[] counts = new int[l.length];
        State s = State.seeded(7);
        for (int i = 0; i < draws; i++) {
            counts[sampler.sample(l.clone(), params(temperature, 1f, -1, 0f, 0), s).tokenId()]++;
        }
        double z = 0;
        for (float v : l) {
            z += Math.exp(v / temperature);
        }
        for (int i = 0; i < l.length; i++) {
            double expected = Math.exp(l[i] / temperature) / z;
            double sd = Math.sqrt(expected * (1 - expected) / draws);
            assertEquals(expected, counts[i] / (double) draws, 5 * sd, "token " + i);
        }
    }

    @Test
    void topKAndMinPRestrictTheSupport() {
        float[] l = {3f, 2.9f, 2.8f, 0f, -1f, 2.7f};
        for (long seed = 0; seed < 200; seed++) {
            int t = sampler.sample(l.clone(), params(1f, 1f, 2, 0f, 0), State.seeded(seed)).tokenId();
            assertTrue(t == 0 || t == 1, "top_k 2 gave " + t);
            int m = sampler.sample(l.clone(), params(1f, 1f, -1, 0.5f, 0), State.seeded(seed)).tokenId();
            assertTrue(m != 3 && m != 4, "min_p 0.5 gave " + m);
        }
    }

    @Test
    void penaltiesLowerSeenTokens() {
        float[] l = {2f, 1.9f, -1f};
        State seenZero = new State(new int[]{0}, new int[0], new SplittableRandom(1));
        SamplingParams rep = new SamplingParams(0f, 1f, -1, 0f, 1.2f, 0f, 0f, null, 0);
        assertEquals(1, sampler.sample(l.clone(), rep, seenZero).tokenId(), "2 / 1.2 < 1.9");
        State generatedZero = new State(new int[0], new int[]{0, 0}, new SplittableRandom(1));
        SamplingParams freq = new SamplingParams(0f, 1f, -1, 0f, 1f, 0.06f, 0f, null, 0);
        assertEquals(1, sampler.sample(l.clone(), freq, generatedZero).tokenId(), "2 - 2 × 0.06 < 1.9");
        SamplingParams presence = new SamplingParams(0f, 1f, -1, 0f, 1f, 0f, 0.2f, null, 0);
        assertEquals(1, sampler.sample(l.clone(), presence, generatedZero).tokenId(), "2 - 0.2 < 1.9");
        assertNotEquals(1, sampler.sample(l.clone(), SamplingParams.GREEDY, generatedZero).tokenId());
    }

    @Test
    void outOfRangeParametersAreRefusedWithSglangsMessages() {
        assertEquals("top_k must be -1 (disable), or at least 1, got 0.",
                assertThrows(IllegalArgumentException.class, () -> params(1f, 1f, 0, 0f, 0)).getMessage());
        assertEquals("top_p must be in (0, 1], got 0.0.",
                assertThrows(IllegalArgumentException.class, () -> params(1f, 0f, -1, 0f, 0)).getMessage());
        assertEquals("temperature must be non-negative, got -0.5.",
                assertThrows(IllegalArgumentException.class, () -> params(-0.5f, 1f, -1, 0f, 0)).getMessage());
        assertEquals("repetition_penalty must be in (0, 2], got 2.5.", assertThrows(IllegalArgumentException.class,
                () -> new SamplingParams(1f, 1f, -1, 0f, 2.5f, 0f, 0f, null, 0)).getMessage());
    }
}
