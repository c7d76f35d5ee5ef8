package dev.iris.backend.cuda;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The GPU both backends run on (device 0 of those visible): its context, the one stream every op
 * is queued on in order, the cuBLAS handle on that stream, the compiled kernels and the
 * allocator. Made on first use, so a machine without CUDA only pays for the probe.
 */
final class CudaDevice {

    private static CudaDevice instance;

    final DeviceMemory memory = new DeviceMemory();
    final CUstream_st stream = new CUstream_st();
    final cublasContext blas = new cublasContext();
    final int major;
    final int minor;
    final int multiprocessors;
    /** Peak memory bandwidth from the memory clock and bus width, in bytes per second. */
    final double bandwidth;

    /** cuBLAS's alpha and beta for {@code y = x · wᵀ}. */
    final FloatPointer one = new FloatPointer(1f);
    final FloatPointer zero = new FloatPointer(0f);

    private final CUctx_st context = new CUctx_st();
    private final Map<String, CUfunc_st> kernels = new HashMap<>();
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);
    /** Each launching thread's argument buffers, reused launch after launch. */
    private final ThreadLocal<BytePointer> argSlots = ThreadLocal.withInitial(() -> new BytePointer(8L * KernelArgs.MAX));
    private final ThreadLocal<PointerPointer<HostAddress>> argPointers =
            ThreadLocal.withInitial(() -> new PointerPointer<>(KernelArgs.MAX));

    private CudaDevice() throws IOException {
        CudaCheck.cuda(cudart.cudaSetDevice(0), "cudaSetDevice");
        CudaCheck.cuda(cudart.cudaFree(null), "cudaFree(0)"); // creates the primary context
        CudaCheck.driver(cudart.cuCtxGetCurrent(context), "cuCtxGetCurrent");
        current.set(true);
        CudaCheck.cuda(cudart.cudaStreamCreate(stream), "cudaStreamCreate");
        CudaCheck.cublas(cublas.cublasCreate_v2(blas), "cublasCreate");
        CudaCheck.cublas(cublas.cublasSetStream_v2(blas, stream), "cublasSetStream");
        major = attribute(cudart.cudaDevAttrComputeCapabilityMajor);
        minor = attribute(cudart.cudaDevAttrComputeCapabilityMinor);
        multiprocessors = attribute(cudart.cudaDevAttrMultiProcessorCount);
        // kHz × bits, double data rate.
        bandwidth = 2.0 * attribute(cudart.cudaDevAttrMemoryClockRate) * 1e3
                * attribute(cudart.cudaDevAttrGlobalMemoryBusWidth) / 8;
        CUmod_st module = new CUmod_st();
        byte[] cubin = KernelCompiler.cubin(major, minor);
        CudaCheck.driver(cudart.cuModuleLoadData(module, new BytePointer(cubin)), "cuModuleLoadData");
        for (String name : KernelSource.KERNELS) {
            CUfunc_st f = new CUfunc_st();
            CudaCheck.driver(cudart.cuModuleGetFunction(f, module, name), "cuModuleGetFunction(" + name + ")");
            kernels.put(name, f);
        }
    }

    /**
     * The device, set up on first call.
     *
     * @throws IllegalStateException when this machine has no usable CUDA device, saying why
     */
    static synchronized CudaDevice get() {
        if (instance == null) {
            String reason = CudaProbe.unavailableReason();
            if (!reason.isEmpty()) {
                throw new IllegalStateException("CUDA is not available: " + reason);
            }
            try {
                instance = new CudaDevice();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    /** Driver-API calls need the context current on the calling thread (the engine's, a loader's). */
    void makeCurrent() {
        if (!current.get()) {
            CudaCheck.driver(cudart.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            current.set(true);
        }
    }

    /** Queues a kernel on the stream. */
    void launch(String kernel, LaunchShape shape, KernelArgs args) {
        CUfunc_st f = kernels.get(kernel);
        if (f == null) {
            throw new IllegalArgumentException("no kernel " + kernel);
        }
        makeCurrent();
        PointerPointer<HostAddress> pointers = argPointers.get();
        args.writeInto(argSlots.get(), pointers);
        CudaCheck.driver(cudart.cuLaunchKernel(f, shape.gridX(), shape.gridY(), 1, shape.blockX(), 1, 1, 0, stream,
                pointers, null), "cuLaunchKernel(" + kernel + ")");
    }

    /** Host to device, queued; the host bytes are staged by the driver before this returns. */
    void upload(long deviceAddress, Pointer host, long bytes) {
        makeCurrent();
        CudaCheck.cuda(cudart.cudaMemcpyAsync(new HostAddress(deviceAddress), host, bytes,
                cudart.cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync(host to device)");
    }

    void copy(long dst, long src, long bytes) {
        makeCurrent();
        CudaCheck.cuda(cudart.cudaMemcpyAsync(new HostAddress(dst), new HostAddress(src), bytes,
                cudart.cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync(device to device)");
    }

    void zero(long address, long bytes) {
        makeCurrent();
        CudaCheck.cuda(cudart.cudaMemsetAsync(new HostAddress(address), 0, bytes, stream), "cudaMemsetAsync");
    }

    /** Device to host: waits for everything queued before it (the one host synchronisation of a step). */
    void download(Pointer host, long deviceAddress, long bytes) {
        makeCurrent();
        CudaCheck.cuda(cudart.cudaMemcpyAsync(host, new HostAddress(deviceAddress), bytes,
                cudart.cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync(device to host)");
        CudaCheck.cuda(cudart.cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    }

    /** {free, total} bytes of device memory. */
    long[] memoryInfo() {
        makeCurrent();
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            CudaCheck.cuda(cudart.cudaMemGetInfo(free, total), "cudaMemGetInfo");
            return new long[]{free.get(), total.get()};
        }
    }

    private static int attribute(int attribute) {
        int[] v = new int[1];
        CudaCheck.cuda(cudart.cudaDeviceGetAttribute(v, attribute, 0), "cudaDeviceGetAttribute(" + attribute + ")");
        return v[0];
    }
}
