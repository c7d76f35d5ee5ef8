package dev.iris.runtime.engine;

import java.util.Locale;

/**
 * The scheduler's counters and its log lines, in the form of SGLang's scheduler log
 * ({@code Prefill batch. #new-seq: …}, {@code Decode batch. #running-req: …}), so operators'
 * dashboards and habits carry over. Written by the engine thread only; read from any thread.
 */
final class SchedulerStats {

    private static final System.Logger LOG = System.getLogger(Engine.class.getName());

    private final int decodeLogInterval;

    private volatile int running;
    private volatile int queued;
    private volatile long usedTokens;
    private volatile double tokenUsage;
    private volatile double genThroughput;
    private volatile long admittedPromptTokens;
    private volatile long admittedCachedTokens;
    private volatile long promptTokensTotal;
    private volatile long generationTokensTotal;
    private volatile long cachedTokensTotal;
    private volatile long requestsTotal;
    private volatile long retractionsTotal;
    private volatile long imagesEncodedTotal;
    private volatile long imageCacheHitsTotal;
    private volatile long imageCacheBytes;

    private int decodeSteps;
    private long generatedSinceLog;
    private long lastLogNanos = System.nanoTime();

    SchedulerStats(int decodeLogInterval) {
        this.decodeLogInterval = decodeLogInterval;
    }

    /** The batch state after a scheduling decision. */
    void load(int running, int queued, long usedTokens, long capacityTokens) {
        this.running = running;
        this.queued = queued;
        this.usedTokens = usedTokens;
        this.tokenUsage = (double) usedTokens / capacityTokens;
    }

    /** A request was admitted with {@code cached} of its {@code prompt} tokens from the prefix cache. */
    void admitted(int prompt, int cached) {
        admittedPromptTokens += prompt;
        admittedCachedTokens += cached;
    }

    /** A step computed prompt tokens: {@code newSeqs} requests, {@code newTokens} rows. */
    void prefillBatch(int newSeqs, int newTokens, int cachedTokens) {
        if (LOG.isLoggable(System.Logger.Level.INFO)) {
            LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT,
                    "Prefill batch. #new-seq: %d, #new-token: %d, #cached-token: %d, token usage: %.2f, "
                            + "#running-req: %d, #queue-req: %d",
                    newSeqs, newTokens, cachedTokens, tokenUsage, running - newSeqs, queued));
        }
    }

    /** A step produced {@code tokens} decode tokens; every {@code decodeLogInterval} such steps, a log line. */
    void decodeStep(int tokens) {
        generatedSinceLog += tokens;
        if (++decodeSteps % decodeLogInterval != 0) {
            return;
        }
        long now = System.nanoTime();
        genThroughput = generatedSinceLog / Math.max(1e-9, (now - lastLogNanos) / 1e9);
        generatedSinceLog = 0;
        lastLogNanos = now;
        if (LOG.isLoggable(System.Logger.Level.INFO)) {
            LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT,
                    "Decode batch. #running-req: %d, #token: %d, token usage: %.2f, gen throughput (token/s): %.2f, "
                            + "#queue-req: %d",
                    running, usedTokens, tokenUsage, genThroughput, queued));
        }
    }

    /** The engine went idle: the next throughput figure starts from the next decode step. */
    void idle() {
        generatedSinceLog = 0;
        lastLogNanos = System.nanoTime();
    }

    /** Requests were retracted when decode ran out of pages; the admission estimate moved. */
    void retracted(int requests, double oldRatio, double newRatio) {
        retractionsTotal += requests;
        LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT,
                "Decode out of memory happened. #retracted_reqs: %d, #new_token_ratio: %.4f -> %.4f",
                requests, oldRatio, newRatio));
    }

    /** A request finished. */
    void finished(int promptTokens, int cachedTokens, int generated) {
        promptTokensTotal += promptTokens;
        cachedTokensTotal += cachedTokens;
        generationTokensTotal += generated;
        requestsTotal++;
    }

    /** The encoded-image cache's totals after a step. */
    void images(long encoded, long cacheHits, long cacheBytes) {
        imagesEncodedTotal = encoded;
        imageCacheHitsTotal = cacheHits;
        imageCacheBytes = cacheBytes;
    }

    EngineMetrics snapshot() {
        long prompt = admittedPromptTokens;
        return new EngineMetrics(running, queued, usedTokens, tokenUsage, genThroughput,
                prompt == 0 ? 0 : (double) admittedCachedTokens / prompt, promptTokensTotal, generationTokensTotal,
                cachedTokensTotal, requestsTotal, retractionsTotal, imagesEncodedTotal, imageCacheHitsTotal, imageCacheBytes);
    }
}
