package dev.iris.http;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Whether the server has finished warming up. The port opens as soon as the model is loaded, and
 * requests are accepted at once (they queue behind the warm-up in the engine); meanwhile
 * {@code /health} answers 503 "warming up", so a load balancer sends nothing yet, and
 * {@code /health_generate} waits for the warm-up before it probes.
 */
public final class Readiness {

    private final CountDownLatch warm;

    private Readiness(int pending) {
        this.warm = new CountDownLatch(pending);
    }

    /** A server that needs no warm-up. */
    public static Readiness ready() {
        return new Readiness(0);
    }

    /** A server that is warming up until {@link #warmedUp()}. */
    public static Readiness warmingUp() {
        return new Readiness(1);
    }

    /** The warm-up is done. */
    public void warmedUp() {
        warm.countDown();
    }

    boolean isReady() {
        return warm.getCount() == 0;
    }

    /** Waits up to {@code seconds} for the warm-up; whether it is done. */
    boolean await(long seconds) throws InterruptedException {
        return warm.await(seconds, TimeUnit.SECONDS);
    }
}
