package dev.iris.backend.cuda;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;

/**
 * Whether this machine can run CUDA, asked once. Loading the presets fails without the NVIDIA
 * driver ({@code libcuda.so.1}) with a linker error that hides the cause; a loaded runtime may
 * still find no device. Either way the reason is kept in words an operator can act on.
 */
final class CudaProbe {

    private static final String REASON = probe();

    private CudaProbe() {
    }

    /** Empty when a CUDA device is usable, else why not. */
    static String unavailableReason() {
        return REASON;
    }

    private static String probe() {
        try {
            Loader.load(cudart.class);
        } catch (Throwable e) {
            return "the CUDA runtime could not be loaded (" + rootMessage(e) + "): this needs an NVIDIA GPU with its"
                    + " driver (libcuda.so.1) and the CUDA 13 libraries (libcudart.so.13, libcublas.so.13,"
                    + " libnvrtc.so.13) on the library path";
        }
        int[] count = new int[1];
        int status = cudart.cudaGetDeviceCount(count);
        if (status == cudart.cudaErrorInsufficientDriver) {
            return "the NVIDIA driver is missing or older than CUDA 13 needs (cudaGetDeviceCount: error " + status + ")";
        }
        if (status == cudart.cudaErrorNoDevice || (status == cudart.cudaSuccess && count[0] == 0)) {
            return "no CUDA device is visible (check CUDA_VISIBLE_DEVICES and nvidia-smi)";
        }
        if (status != cudart.cudaSuccess) {
            return "cudaGetDeviceCount failed: " + cudart.cudaGetErrorString(status).getString();
        }
        return "";
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
