package dev.iris.bench;

import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightTensor;
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
 * The CPU backend's linear op and the naive loop on the same BF16 inputs, in the same run: a
 * decode GEMV through down_proj (1536 × 8960) and a 32-row GEMM through gate_proj (8960 × 1536).
 */
@State(Scope.Benchmark)
public class KernelVsNaiveBench {

    @Param({"gemv.down_proj", "gemm32.gate_proj"})
    public String op;

    @Param({"vector", "naive"})
    public String impl;

    private final ComputeBackend cpu = new CpuComputeBackend();
    private Arena arena;
    private WeightTensor weight;
    private Tensor weightTensor;
    private float[] x;
    private Tensor xTensor;

    static Shapes.Matrix matrix(String op) {
        return op.startsWith("gemv") ? Shapes.DOWN : Shapes.GATE;
    }

    static int rows(String op) {
        return op.startsWith("gemv") ? 1 : 32;
    }

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        Shapes.Matrix m = matrix(op);
        weight = RandomWeights.create(arena, m.name(), DType.BF16, m.rows(), m.cols(), 5);
        weightTensor = cpu.weight(weight);
        int n = rows(op);
        x = RandomWeights.activations(n * m.cols(), 6);
        xTensor = cpu.fromFloats(x, Shape.of(n, m.cols()));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public Object linear() {
        return impl.equals("vector") ? cpu.linear(xTensor, weightTensor, null) : NaiveKernels.linearBf16(x, rows(op), weight);
    }
}
