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

/**
 * Prompt processing and vision-tower GEMMs at real shapes: a 512-token prompt through the LM's
 * gate projection (8960 × 1536), and 1024 patches through the vision MLP's fc1 (5120 × 1280).
 * Compute-bound: judged in GFLOP/s ({@code 2 · n · rows · cols} per op), for the backend as
 * shipped (OpenBLAS from 64 rows) and for its Vector API kernel alone.
 */
@State(Scope.Benchmark)
public class PrefillBench {

    @Param({"BF16", "F16", "F32"})
    public String dtype;

    @Param({"lm.gate_proj", "visual.mlp.fc1"})
    public String shape;

    /** {@code openblas}: the backend as shipped; {@code vector}: its Vector API kernel alone. */
    @Param({"openblas", "vector"})
    public String path;

    private ComputeBackend cpu;
    private Arena arena;
    private Tensor weight;
    private Tensor x;

    static Shapes.Matrix matrix(String shape) {
        return shape.equals("lm.gate_proj") ? Shapes.GATE : Shapes.VISION_FC1;
    }

    static int tokens(String shape) {
        return shape.equals("lm.gate_proj") ? 512 : 1024;
    }

    @Setup(Level.Trial)
    public void setup() {
        System.setProperty("iris.cpu.blas", Boolean.toString(path.equals("openblas")));
        cpu = new CpuComputeBackend();
        arena = Arena.ofShared();
        Shapes.Matrix m = matrix(shape);
        weight = cpu.weight(RandomWeights.create(arena, m.name(), DType.valueOf(dtype), m.rows(), m.cols(), 3));
        int n = tokens(shape);
        x = cpu.fromFloats(RandomWeights.activations(n * m.cols(), 4), Shape.of(n, m.cols()));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public Tensor gemm() {
        return cpu.linear(x, weight, null);
    }
}
