package dev.iris.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The one pool every CPU kernel runs on: {@code threads − 1} workers (all cores by default, or
 * {@code -Diris.cpu.threads=N}) plus the calling thread. An op's tasks are cut into one
 * contiguous range per thread; each thread takes the tasks of its own range in order, then helps
 * with what is left of the others', so uneven tasks balance themselves while each thread streams
 * through adjacent memory (a weight's neighbouring panels) rather than every other task.
 *
 * <p>A decode step is a couple of hundred short parallel ops back to back, so hand-off latency
 * matters: workers spin for a moment after each op before they park, and the caller spins for
 * their completion. One op runs at a time; a caller that finds the pool busy (another request's
 * thread) runs its op alone rather than wait.
 */
final class CpuThreads {

    static final CpuThreads SHARED = new CpuThreads(Integer.getInteger("iris.cpu.threads",
            Runtime.getRuntime().availableProcessors()));

    private static final int STRIDE = 16;
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
    /** Per range, the next task to hand out; 16 ints apart so ranges do not share a cache line. */
    private final AtomicIntegerArray next;
    private final AtomicInteger unfinishedWorkers = new AtomicInteger();
    private volatile Throwable failure;
    private volatile long generation;

    CpuThreads(int threads) {
        this.threads = Math.max(1, threads);
        this.workers = new Thread[this.threads - 1];
        this.next = new AtomicIntegerArray(this.threads * STRIDE);
        for (int i = 0; i < workers.length; i++) {
            int slot = i + 1;
            workers[i] = Thread.ofPlatform().name("iris-cpu-" + slot).daemon().unstarted(() -> workLoop(slot));
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
            for (int r = 0; r < threads; r++) {
                next.set(r * STRIDE, start(r));
            }
            unfinishedWorkers.set(workers.length);
            generation++; // publishes the fields above
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            try {
                drain(body, tasks, 0);
            } catch (Throwable e) {
                failed(e); // and wait below: no worker may still be in this op when the next one starts
            }
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
            if (f != null) {
                throw new IllegalStateException(f);
            }
        } finally {
            this.body = null;
            busy.set(false);
        }
    }

    /** The op fails with its first error; no more of its tasks are handed out. */
    private synchronized void failed(Throwable e) {
        if (failure == null) {
            failure = e;
        }
        for (int r = 0; r < threads; r++) {
            next.set(r * STRIDE, Integer.MAX_VALUE / 2);
        }
    }

    /** Range r of the current op: tasks {@code start(r) .. start(r + 1)}. */
    private int start(int r) {
        return (int) ((long) tasks * r / threads);
    }

    /** The tasks of range {@code slot}, then what is left of the others'. */
    private void drain(IntConsumer body, int tasks, int slot) {
        for (int i = 0; i < threads; i++) {
            int r = (slot + i) % threads;
            int end = (int) ((long) tasks * (r + 1) / threads);
            for (int t; (t = next.getAndIncrement(r * STRIDE)) < end; ) {
                body.accept(t);
            }
        }
    }

    private void workLoop(int slot) {
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
                drain(body, tasks, slot);
            } catch (Throwable e) {
                failed(e);
            } finally {
                unfinishedWorkers.decrementAndGet();
            }
        }
    }
}
