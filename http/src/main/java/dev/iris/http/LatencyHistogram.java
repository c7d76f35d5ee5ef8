package dev.iris.http;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram of seconds with fixed buckets; safe from any thread. */
final class LatencyHistogram {

    private final String name;
    private final String help;
    private final double[] bounds;
    private final AtomicLongArray counts;
    private final LongAdder count = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();

    LatencyHistogram(String name, String help, double... bounds) {
        this.name = name;
        this.help = help;
        this.bounds = bounds.clone();
        this.counts = new AtomicLongArray(bounds.length);
    }

    void observe(double seconds) {
        for (int i = 0; i < bounds.length; i++) {
            if (seconds <= bounds[i]) {
                counts.incrementAndGet(i);
            }
        }
        count.increment();
        sum.add(seconds);
    }

    /** The histogram in Prometheus text format, with {@code label} (e.g. {@code model_name="m"}). */
    void write(StringBuilder b, String label) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" histogram\n");
        for (int i = 0; i < bounds.length; i++) {
            b.append(name).append("_bucket{").append(label).append(",le=\"")
                    .append(String.format(Locale.ROOT, "%s", bounds[i])).append("\"} ").append(counts.get(i)).append('\n');
        }
        b.append(name).append("_bucket{").append(label).append(",le=\"+Inf\"} ").append(count.sum()).append('\n');
        b.append(name).append("_sum{").append(label).append("} ").append(sum.sum()).append('\n');
        b.append(name).append("_count{").append(label).append("} ").append(count.sum()).append('\n');
    }
}
