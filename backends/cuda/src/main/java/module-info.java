/**
 * The compute and attention backends on NVIDIA GPUs through the JavaCPP CUDA presets (issue #11):
 * cuBLAS for the matmuls, NVRTC-compiled kernels for the rest, one stream. On a machine without
 * a GPU or driver the providers load and report why they cannot run.
 */
module dev.iris.backend.cuda {
    requires dev.iris.api;
    requires org.bytedeco.javacpp;
    requires org.bytedeco.cuda;

    provides dev.iris.api.compute.ComputeBackend with dev.iris.backend.cuda.CudaComputeBackend;
    provides dev.iris.api.attention.AttentionBackend with dev.iris.backend.cuda.CudaAttentionBackend;
}
