package dev.iris.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The machine's read bandwidth: a plain vectorised sum over 2 GiB of off-heap memory (far larger
 * than any cache), split across the same number of threads the CPU backend uses. The decode
 * figures are judged against this.
 */
@State(Scope.Benchmark)
public class StreamBench {

    static final long BYTES = 2L << 30;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Arena arena;
    private MemorySegment data;
    private ExecutorService pool;
    private int threads;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        data = arena.allocate(BYTES, 64);
        data.fill((byte) 1);
        threads = Integer.getInteger("iris.cpu.threads", Runtime.getRuntime().availableProcessors());
        pool = Executors.newFixedThreadPool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdown();
        arena.close();
    }

    @Benchmark
    public float streamRead() throws Exception {
        long part = BYTES / threads;
        @SuppressWarnings("unchecked")
        Future<Float>[] parts = new Future[threads];
        for (int t = 0; t < threads; t++) {
            long from = t * part;
            parts[t] = pool.submit(() -> sum(from, from + part));
        }
        float total = 0;
        for (Future<Float> f : parts) {
            total += f.get();
        }
        return total;
    }

    private float sum(long from, long to) {
        FloatVector a = FloatVector.zero(F);
        FloatVector b = a;
        long step = F.vectorByteSize();
        for (long off = from; off < to; off += 2 * step) {
            a = a.add(FloatVector.fromMemorySegment(F, data, off, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(F, data, off + step, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
