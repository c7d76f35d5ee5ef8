package dev.iris.backend.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The one pool every CPU kernel runs on: {@code threads} workers (all cores by default, or
 * {@code -Diris.cpu.threads=N}), with the calling thread taking part. Tasks are handed out
 * through a shared counter, so uneven tasks balance themselves.
 */
final class CpuThreads {

    static final CpuThreads SHARED = new CpuThreads(Integer.getInteger("iris.cpu.threads",
            Runtime.getRuntime().availableProcessors()));

    private final int threads;
    private final ExecutorService workers;

    CpuThreads(int threads) {
        this.threads = Math.max(1, threads);
        this.workers = Executors.newFixedThreadPool(Math.max(1, this.threads - 1), r -> {
            Thread t = new Thread(r, "iris-cpu");
            t.setDaemon(true);
            return t;
        });
    }

    int threads() {
        return threads;
    }

    /** Runs {@code body.accept(task)} for every task in {@code [0, tasks)} and returns when all are done. */
    void parallelFor(int tasks, IntConsumer body) {
        if (tasks <= 1 || threads == 1) {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        int helpers = Math.min(threads, tasks) - 1;
        CountDownLatch done = new CountDownLatch(helpers);
        Throwable[] failure = new Throwable[1];
        Runnable drain = () -> {
            for (int t; (t = next.getAndIncrement()) < tasks; ) {
                body.accept(t);
            }
        };
        for (int h = 0; h < helpers; h++) {
            workers.execute(() -> {
                try {
                    drain.run();
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        drain.run();
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for CPU kernels", e);
        }
        synchronized (failure) {
            if (failure[0] instanceof RuntimeException r) {
                throw r;
            }
            if (failure[0] != null) {
                throw new IllegalStateException("CPU kernel failed", failure[0]);
            }
        }
    }
}
