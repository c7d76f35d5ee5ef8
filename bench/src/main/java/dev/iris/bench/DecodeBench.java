package dev.iris.bench;

import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.backend.cpu.CpuComputeBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * The matrix work of one decode step of Qwen2-VL-2B's language model: every projection of all
 * 28 layers and the LM head (3.1 GB of BF16, far beyond the caches) against {@code n} token
 * rows. With {@code n = 1} this is pure weight streaming: bytes / time is the bandwidth the
 * GEMV kernel achieves, and 1 / time bounds decode tokens/s.
 */
@State(Scope.Benchmark)
public class DecodeBench {

    @Param({"BF16", "F16", "Q8_0"})
    public String dtype;

    @Param({"1", "8"})
    public int n;

    private final ComputeBackend cpu = new CpuComputeBackend();
    private Arena arena;
    private final List<Tensor> weights = new ArrayList<>();
    private Tensor hidden;
    private Tensor intermediate;

    static long weightBytes(DType dtype) {
        long params = Shapes.LM_HEAD.params();
        for (Shapes.Matrix m : Shapes.LM_LAYER) {
            params += Shapes.LAYERS * m.params();
        }
        return dtype.bytes(params);
    }

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        DType t = DType.valueOf(dtype);
        long seed = 1;
        for (int layer = 0; layer < Shapes.LAYERS; layer++) {
            for (Shapes.Matrix m : Shapes.LM_LAYER) {
                weights.add(cpu.weight(RandomWeights.create(arena, m.name(), t, m.rows(), m.cols(), seed++)));
            }
        }
        weights.add(cpu.weight(RandomWeights.create(arena, "lm_head", t, Shapes.LM_HEAD.rows(), Shapes.LM_HEAD.cols(), seed)));
        hidden = cpu.fromFloats(RandomWeights.activations(n * Shapes.HIDDEN, 7), Shape.of(n, Shapes.HIDDEN));
        intermediate = cpu.fromFloats(RandomWeights.activations(n * Shapes.INTERMEDIATE, 8), Shape.of(n, Shapes.INTERMEDIATE));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        weights.clear();
        arena.close();
    }

    @Benchmark
    public Tensor decodeStepMatmuls() {
        Tensor last = null;
        for (Tensor w : weights) {
            Tensor x = w.shape().dim(1) == Shapes.INTERMEDIATE ? intermediate : hidden;
            last = cpu.linear(x, w, null);
        }
        return last;
    }
}
