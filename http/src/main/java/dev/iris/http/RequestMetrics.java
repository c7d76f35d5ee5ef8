package dev.iris.http;

/**
 * What the HTTP side measures (SGLang's histogram names): time to the first token, time per
 * output token after it, end-to-end latency, and the images loaded with their preparation time.
 */
final class RequestMetrics {

    final LatencyHistogram timeToFirstToken = new LatencyHistogram("sglang:time_to_first_token_seconds",
            "Time to the first generated token.", 0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0,
            2.5, 5.0, 7.5, 10.0, 15.0, 20.0, 25.0, 30.0);
    final LatencyHistogram timePerOutputToken = new LatencyHistogram("sglang:time_per_output_token_seconds",
            "Time per generated token after the first.", 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1,
            0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5);
    final LatencyHistogram endToEnd = new LatencyHistogram("sglang:e2e_request_latency_seconds",
            "Time from submission to the last token.", 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0,
            40.0, 50.0, 60.0);

    final LatencyHistogram imagePreparation = new LatencyHistogram("sglang:image_preprocess_seconds",
            "Time to load, decode and preprocess the images of one request.", 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
            1.0, 2.5, 5.0, 10.0);
    private final java.util.concurrent.atomic.LongAdder images = new java.util.concurrent.atomic.LongAdder();

    /** A request's {@code count} images were made ready in {@code seconds}. */
    void imagesPrepared(int count, double seconds) {
        images.add(count);
        imagePreparation.observe(seconds);
    }

    /** A finished generation: submitted at {@code start}, first token at {@code first} (nanos), {@code tokens} in all. */
    void finished(long start, long first, long end, int tokens) {
        endToEnd.observe((end - start) / 1e9);
        if (first > 0) {
            timeToFirstToken.observe((first - start) / 1e9);
            if (tokens > 1) {
                timePerOutputToken.observe((end - first) / 1e9 / (tokens - 1));
            }
        }
    }

    void write(StringBuilder b, String label) {
        b.append("# HELP sglang:num_images_total Images loaded and preprocessed.\n");
        b.append("# TYPE sglang:num_images_total counter\n");
        b.append("sglang:num_images_total{").append(label).append("} ").append(images.sum()).append('\n');
        imagePreparation.write(b, label);
        timeToFirstToken.write(b, label);
        timePerOutputToken.write(b, label);
        endToEnd.write(b, label);
    }
}
