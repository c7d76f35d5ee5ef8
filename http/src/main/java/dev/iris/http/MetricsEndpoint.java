package dev.iris.http;

import dev.iris.runtime.engine.EngineMetrics;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * {@code GET /metrics}: the engine's gauges and counters and the request latency histograms in
 * Prometheus text, under SGLang's names (§6.6).
 */
final class MetricsEndpoint implements Handler {

    private final ServedModel model;
    private final RequestMetrics latencies;

    MetricsEndpoint(ServedModel model, RequestMetrics latencies) {
        this.model = model;
        this.latencies = latencies;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        EngineMetrics m = model.engine().metrics();
        String label = "{model_name=\"" + model.servedName().replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
        StringBuilder b = new StringBuilder();
        metric(b, label, "num_running_reqs", "gauge", "Requests in the running batch.", m.runningRequests());
        metric(b, label, "num_queue_reqs", "gauge", "Requests waiting to be admitted.", m.queuedRequests());
        metric(b, label, "num_used_tokens", "gauge", "K/V tokens held by running requests.", m.usedTokens());
        metric(b, label, "token_usage", "gauge", "Share of the K/V pool in use.", m.tokenUsage());
        metric(b, label, "gen_throughput", "gauge", "Generated tokens per second.", m.genThroughput());
        metric(b, label, "cache_hit_rate", "gauge", "Prompt tokens served by the prefix cache.", m.cacheHitRate());
        metric(b, label, "prompt_tokens_total", "counter", "Prompt tokens of finished requests.", m.promptTokensTotal());
        metric(b, label, "generation_tokens_total", "counter", "Generated tokens of finished requests.",
                m.generationTokensTotal());
        metric(b, label, "cached_tokens_total", "counter", "Prompt tokens served by the prefix cache.",
                m.cachedTokensTotal());
        metric(b, label, "num_requests_total", "counter", "Finished requests.", m.requestsTotal());
        metric(b, label, "num_retractions_total", "counter", "Requests retracted to free K/V pages.",
                m.retractionsTotal());
        metric(b, label, "images_encoded_total", "counter", "Images that went through the vision tower.",
                m.imagesEncodedTotal());
        metric(b, label, "image_cache_hits_total", "counter", "Images whose features came from the image cache.",
                m.imageCacheHitsTotal());
        metric(b, label, "image_cache_bytes", "gauge", "Bytes of image features kept for reuse.",
                m.imageCacheBytes());
        latencies.write(b, label.substring(1, label.length() - 1));
        res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        res.send(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void metric(StringBuilder b, String label, String name, String type, String help, double value) {
        String full = "sglang:" + name;
        b.append("# HELP ").append(full).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(full).append(' ').append(type).append('\n');
        b.append(full).append(label).append(' ').append(String.format(Locale.ROOT, "%s", format(value))).append('\n');
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
