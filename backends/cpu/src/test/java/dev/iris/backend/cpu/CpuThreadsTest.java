package dev.iris.backend.cpu;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool's hand-out: per-thread ranges, helping with the others' when a range is done. */
class CpuThreadsTest {

    private final CpuThreads pool = new CpuThreads(3);

    @AfterEach
    void nothingLeftRunning() {
        pool.parallelFor(2, t -> { }); // the pool still takes ops
    }

    @Test
    void everyTaskRunsExactlyOnceWhenOneRangeIsFarSlowerThanTheOthers() {
        for (int tasks : new int[]{2, 3, 7, 100, 1001}) {
            AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            pool.parallelFor(tasks, t -> {
                if (t < tasks / 3) {
                    LockSupport.parkNanos(200_000); // the first range is slow: the others must help
                }
                threads.add(Thread.currentThread());
                runs.incrementAndGet(t);
            });
            for (int t = 0; t < tasks; t++) {
                assertEquals(1, runs.get(t), "task " + t + " of " + tasks);
            }
            if (tasks >= 100) {
                assertTrue(threads.size() > 1, "the work was shared");
            }
        }
    }

    /** The calling thread's own range throws while the workers are still busy with theirs. */
    @Test
    void aTaskThatThrowsFailsTheOpAndTheNextOpRunsWhole() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(50, t -> {
            if (t == 2) {
                throw new IllegalStateException("task 2");
            }
            LockSupport.parkNanos(100_000);
        }));
        assertEquals("task 2", e.getMessage());
        AtomicIntegerArray runs = new AtomicIntegerArray(50);
        pool.parallelFor(50, runs::incrementAndGet);
        for (int t = 0; t < 50; t++) {
            assertEquals(1, runs.get(t), "task " + t);
        }
    }
}
