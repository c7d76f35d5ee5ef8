/**
 * The CPU compute and attention backends: Vector API kernels over memory-mapped weights, run
 * on all cores from one shared pool. The default backend and the reference for the others.
 */
module dev.iris.backend.cpu {
    requires dev.iris.api;
    requires jdk.incubator.vector;
    requires org.bytedeco.openblas;

    provides dev.iris.api.compute.ComputeBackend with dev.iris.backend.cpu.CpuComputeBackend;
    provides dev.iris.api.attention.AttentionBackend with dev.iris.backend.cpu.CpuAttentionBackend;
}
