package dev.iris.backend.cuda;

import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nvrtc;

/** Turns CUDA, cuBLAS and NVRTC status codes into exceptions that name the call. */
final class CudaCheck {

    private CudaCheck() {
    }

    static void cuda(int status, String call) {
        if (status != cudart.cudaSuccess) {
            throw new IllegalStateException(call + " failed: " + cudart.cudaGetErrorString(status).getString()
                    + " (" + status + ")");
        }
    }

    /** Driver API calls (cu*) share the error numbering of the runtime for the codes we meet. */
    static void driver(int status, String call) {
        if (status != 0) {
            throw new IllegalStateException(call + " failed with CUDA driver error " + status);
        }
    }

    static void cublas(int status, String call) {
        if (status != cublas.CUBLAS_STATUS_SUCCESS) {
            throw new IllegalStateException(call + " failed with cuBLAS status " + status);
        }
    }

    static void nvrtc(int status, String call) {
        if (status != nvrtc.NVRTC_SUCCESS) {
            throw new IllegalStateException(call + " failed: " + nvrtc.nvrtcGetErrorString(status).getString());
        }
    }
}
