package dev.iris.runtime.engine;

import dev.iris.api.model.Positions;
import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.sampling.SampledToken;
import dev.iris.api.sampling.SamplingState;
import dev.iris.runtime.grammar.GrammarMatcher;
import dev.iris.runtime.kv.PageTable;
import dev.iris.runtime.kv.PrefixCache;
import dev.iris.runtime.stop.StopMatcher;
import dev.iris.runtime.text.IncrementalDetokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * One request inside the engine: its prompt, pages, progress and output. Touched by the engine
 * thread only.
 *
 * <p>The sequence's tokens are the prompt followed by the generated tokens; {@link #computed}
 * of them have K/V in the cache. Each step feeds the tokens {@code [computed, known())}: the
 * prompt (in chunks), or the last sampled token while decoding, or, after a retraction, the
 * prompt and every generated token again. When a step reaches {@code known()} its last row's
 * logits give the next token.
 */
final class Sequence implements SamplingState {

    final GenerationRequest request;
    final Consumer<TokenEvent> sink;
    /** True while whoever takes its tokens is not keeping up: it takes no decode step then. */
    final BooleanSupplier paused;
    final CompletableFuture<GenerationResult> future = new CompletableFuture<>();
    final long submittedNanos = System.nanoTime();

    // Set when it enters the waiting queue.
    PreparedPrompt prompt;
    int[] ids;
    /** Prefix-cache keys of the prompt tokens (image positions keyed by content). */
    long[] keys;
    StopMatcher stop;
    /** Where its output stands in its grammar; null for free text. */
    final GrammarMatcher grammar;
    /** Tokens that end it (EOS and its stop token ids): what the grammar allows where the text may end. */
    Set<Integer> endTokens = Set.of();
    /** Tokens it may generate: {@code max_new_tokens}, capped by the room left in the context. */
    int maxNewTokens;
    IncrementalDetokenizer text;
    /** Each image's content digest (keys the image caches). */
    ImageDigest[] digests;
    /** Each image's features, held from the first step that reaches the image until the request ends. */
    EncodedImageCache.Entry[] images;
    /** Its cross-attention rows (families with cross-attention and a request with images), held until it ends. */
    PageTable encoderTable;
    /** Whether its images' states are in its cross-attention rows (written by its first step). */
    boolean encoderWritten;

    /** The prompt position {@link #promptScores} start at ({@code logprob_start_len}, at most the prompt's length). */
    int scoreFrom;
    /** Scores of the prompt's tokens from {@link #scoreFrom} on, as far as computed; null when not asked for. */
    List<SampledToken> promptScores;

    // Set while it runs; cleared when it is retracted or ends.
    PageTable table;
    PrefixCache.Match match;
    /** Tokens whose K/V are in the cache (borrowed from the prefix cache or computed). */
    int computed;

    /** Prompt tokens the prefix cache supplied when first admitted. */
    int cachedTokens = -1;
    /** Set once the result is complete and the pages are handed back. */
    boolean finished;

    final List<SampledToken> out = new ArrayList<>();
    final StringBuilder shown = new StringBuilder();
    private final RandomGenerator random;

    /** @param unseeded the generator of a request that gives no seed of its own */
    Sequence(GenerationRequest request, Consumer<TokenEvent> sink, BooleanSupplier paused, RandomGenerator unseeded) {
        this.request = request;
        this.sink = sink;
        this.paused = paused;
        Long seed = request.sampling().seed();
        this.random = seed == null ? unseeded : new SplittableRandom(seed);
        this.grammar = request.constraint() == null ? null : request.constraint().newMatcher();
    }

    /** Prompt and generated tokens so far. */
    int known() {
        return ids.length + out.size();
    }

    /** The prompt position whose score comes next; the prompt's length once every wanted score is in. */
    int nextScored() {
        return promptScores == null ? ids.length : Math.min(ids.length, scoreFrom + promptScores.size());
    }

    /**
     * The most tokens the prefix cache may supply: all but the last known one (its logits are
     * needed), and none from the row before the next prompt token still to be scored.
     */
    int prefixLimit() {
        int next = nextScored();
        return next < ids.length ? Math.max(0, Math.min(known() - 1, next - 1)) : known() - 1;
    }

    /** True while it decodes one token per step; false while (re)computing its prompt. */
    boolean decoding() {
        return !out.isEmpty() && known() - computed == 1;
    }

    /** Generated tokens it may still produce. */
    int remainingNewTokens() {
        return Math.max(0, maxNewTokens - out.size());
    }

    /** Token {@code i} of the sequence. */
    int token(int i) {
        return i < ids.length ? ids[i] : out.get(i - ids.length).tokenId();
    }

    /** Token ids {@code [from, to)}. */
    int[] tokens(int from, int to) {
        int[] t = new int[to - from];
        for (int i = from; i < to; i++) {
            t[i - from] = token(i);
        }
        return t;
    }

    /** Prefix-cache keys of the first {@code n} tokens. */
    long[] keys(int n) {
        long[] k = Arrays.copyOf(keys, n);
        for (int i = ids.length; i < n; i++) {
            k[i] = token(i);
        }
        return k;
    }

    /**
     * Rotary positions of tokens {@code [from, to)}: the prompt's own, then one step per generated
     * token on every axis, shifted by the prompt's decode offset (M-RoPE's rope delta).
     */
    Positions positions(int from, int to) {
        Positions p = prompt.positions();
        if (to <= ids.length) {
            return p.slice(from, to);
        }
        int axes = p.axes();
        int n = to - from;
        int[] v = new int[axes * n];
        for (int a = 0; a < axes; a++) {
            for (int i = from; i < to; i++) {
                v[a * n + i - from] = i < ids.length ? p.at(a, i) : i + prompt.decodeOffset();
            }
        }
        return new Positions(axes, v);
    }

    @Override
    public int[] promptTokens() {
        return ids;
    }

    @Override
    public int[] generatedTokens() {
        return out.stream().mapToInt(SampledToken::tokenId).toArray();
    }

    @Override
    public RandomGenerator random() {
        return random;
    }
}
