package dev.iris.runtime.engine;

import java.time.Duration;

/**
 * SGLang's watchdog, for hangs rather than slow steps: when a step has made no progress (no
 * backend work finished, no step ended) for the timeout, every request still waiting for an
 * answer is failed with an error its client receives, and then the process is ended
 * ({@code onHang}) so a supervisor can restart it. A step that is merely long — a big prompt chunk,
 * a large image — goes on as long as it progresses. With a backend that does not count its work,
 * a step longer than the timeout counts as a hang (SGLang's rule).
 */
public final class Watchdog implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Watchdog.class.getName());

    private final Engine engine;
    private final Duration timeout;
    private final Duration notice;
    private final Runnable onHang;
    private final Thread thread;

    /**
     * @param timeout how long a step may go without progress ({@code --watchdog-timeout})
     * @param notice  how long the failed requests' handlers get to tell their clients before {@code onHang}
     * @param onHang  ends the process (non-zero)
     */
    public Watchdog(Engine engine, Duration timeout, Duration notice, Runnable onHang) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the watchdog timeout must be positive, got " + timeout);
        }
        this.engine = engine;
        this.timeout = timeout;
        this.notice = notice;
        this.onHang = onHang;
        this.thread = Thread.ofPlatform().name("iris-watchdog").daemon().start(this::watch);
    }

    private void watch() {
        long period = Math.max(10, Math.min(1000, timeout.toMillis() / 4));
        long lastProgress = engine.progress();
        long lastChange = System.nanoTime();
        try {
            while (true) {
                Thread.sleep(period);
                long progress = engine.progress();
                boolean stepping = !engine.currentStepDuration().isZero();
                if (progress != lastProgress || !stepping) {
                    lastProgress = progress;
                    lastChange = System.nanoTime();
                    continue;
                }
                Duration still = engine.progressWithinSteps() ? Duration.ofNanos(System.nanoTime() - lastChange)
                        : engine.currentStepDuration();
                if (still.compareTo(timeout) > 0) {
                    hang(still);
                    return;
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private void hang(Duration still) throws InterruptedException {
        String message = "The server stopped making progress (a step hung for " + still.toSeconds()
                + " s, --watchdog-timeout " + timeout.toSeconds() + " s) and is restarting. Retry the request.";
        int failed = engine.failAll(new IllegalStateException(message));
        LOG.log(System.Logger.Level.ERROR, "Watchdog timeout: no progress for " + still.toSeconds() + " s in a step"
                + " (--watchdog-timeout " + timeout.toSeconds() + " s); " + failed
                + " requests ended with an error. Exiting.");
        Thread.sleep(notice.toMillis());
        System.err.flush();
        onHang.run();
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
