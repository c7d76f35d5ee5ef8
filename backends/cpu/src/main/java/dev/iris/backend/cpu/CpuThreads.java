package dev.iris.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The one pool every CPU kernel runs on: {@code threads − 1} workers (all cores by default, or
 * {@code -Diris.cpu.threads=N}) plus the calling thread. Tasks are handed out through a shared
 * counter, so uneven tasks balance themselves.
 *
 * <p>A decode step is a couple of hundred short parallel ops back to back, so hand-off latency
 * matters: workers spin for a moment after each op before they park, and the caller spins for
 * their completion. One op runs at a time; a caller that finds the pool busy (another request's
 * thread) runs its op alone rather than wait.
 */
final class CpuThreads {

    static final CpuThreads SHARED = new CpuThreads(Integer.getInteger("iris.cpu.threads",
            Runtime.getRuntime().availableProcessors()));

    /** How long an idle worker spins before parking. */
    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    /** Ops finished, for a watchdog telling a long step from a hung one. */
    private final LongAdder completed = new LongAdder();

    // The current op, published by a volatile write of generation.
    private IntConsumer body;
    private int tasks;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger unfinishedWorkers = new AtomicInteger();
    private volatile Throwable failure;
    private volatile long generation;

    CpuThreads(int threads) {
        this.threads = Math.max(1, threads);
        this.workers = new Thread[this.threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().name("iris-cpu-" + (i + 1)).daemon().unstarted(this::workLoop);
            workers[i].start();
        }
    }

    int threads() {
        return threads;
    }

    /** Parallel ops finished so far. */
    long completed() {
        return completed.sum();
    }

    /** Runs {@code body.accept(task)} for every task in {@code [0, tasks)} and returns when all are done. */
    void parallelFor(int tasks, IntConsumer body) {
        if (tasks <= 1 || workers.length == 0 || !busy.compareAndSet(false, true)) {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
            completed.increment();
            return;
        }
        try {
            this.body = body;
            this.tasks = tasks;
            this.failure = null;
            next.set(0);
            unfinishedWorkers.set(workers.length);
            generation++; // publishes the fields above
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            drain(body, tasks);
            while (unfinishedWorkers.get() > 0) {
                Thread.onSpinWait();
            }
            completed.increment();
            Throwable f = failure;
            if (f instanceof RuntimeException r) {
                throw r;
            }
            if (f instanceof Error e) {
                throw e;
            }
        } finally {
            this.body = null;
            busy.set(false);
        }
    }

    private void drain(IntConsumer body, int tasks) {
        for (int t; (t = next.getAndIncrement()) < tasks; ) {
            body.accept(t);
        }
    }

    private void workLoop() {
        long seen = 0;
        while (true) {
            long spinStart = System.nanoTime();
            while (generation == seen) {
                if (System.nanoTime() - spinStart < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = generation;
            try {
                drain(body, tasks);
            } catch (Throwable e) {
                failure = e;
                next.set(Integer.MAX_VALUE / 2); // stop handing out tasks
            } finally {
                unfinishedWorkers.decrementAndGet();
            }
        }
    }
}
