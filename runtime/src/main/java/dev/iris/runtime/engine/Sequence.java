package dev.iris.runtime.engine;

import dev.iris.api.model.PreparedPrompt;
import dev.iris.api.sampling.SampledToken;
import dev.iris.api.sampling.SamplingState;
import dev.iris.runtime.kv.PageTable;
import dev.iris.runtime.kv.PrefixCache;
import dev.iris.runtime.stop.StopMatcher;
import dev.iris.runtime.text.IncrementalDetokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/** One request inside the engine: its prompt, pages, progress and output. Touched by the engine thread only. */
final class Sequence implements SamplingState {

    final GenerationRequest request;
    final Consumer<TokenEvent> sink;
    final CompletableFuture<GenerationResult> future = new CompletableFuture<>();

    // Set when admitted.
    PreparedPrompt prompt;
    int[] ids;
    long[] keys;
    PageTable table;
    PrefixCache.Match match;
    StopMatcher stop;
    IncrementalDetokenizer text;
    int cachedTokens;
    /** Prompt tokens whose K/V exist (cached or computed). */
    int computed;
    /** Set once the result is complete and the pages are handed back. */
    boolean finished;

    final List<SampledToken> out = new ArrayList<>();
    final StringBuilder shown = new StringBuilder();
    private final RandomGenerator random;

    Sequence(GenerationRequest request, Consumer<TokenEvent> sink) {
        this.request = request;
        this.sink = sink;
        Long seed = request.sampling().seed();
        this.random = seed == null ? new SplittableRandom() : new SplittableRandom(seed);
    }

    boolean prefilling() {
        return computed < ids.length;
    }

    /** Cache slot of the token to feed next while decoding (the last sampled one). */
    int decodeSlot() {
        return ids.length + out.size() - 1;
    }

    void add(SampledToken token) {
        out.add(token);
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
