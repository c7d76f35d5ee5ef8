package dev.iris.backend.cuda;

import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Compiles the kernel program with NVRTC for the GPU at hand, once: the cubin is kept under
 * {@code ~/.cache/iris/cuda/} (or {@code $IRIS_CUDA_CACHE}) by {@link KernelSource#cacheKey}.
 */
final class KernelCompiler {

    private static final System.Logger LOG = System.getLogger(KernelCompiler.class.getName());

    private KernelCompiler() {
    }

    static byte[] cubin(int major, int minor) throws IOException {
        String text = KernelSource.text();
        List<String> options = KernelSource.options(major, minor);
        int[] nvrtcMajor = new int[1];
        int[] nvrtcMinor = new int[1];
        CudaCheck.nvrtc(nvrtc.nvrtcVersion(nvrtcMajor, nvrtcMinor), "nvrtcVersion");
        String key = KernelSource.cacheKey(text, options, nvrtcMajor[0] + "." + nvrtcMinor[0]);
        Path file = cacheDir().resolve("kernels-sm" + major + minor + "-" + key + ".cubin");
        if (Files.isRegularFile(file)) {
            return Files.readAllBytes(file);
        }
        long start = System.nanoTime();
        byte[] cubin = compile(text, options);
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), "kernels", ".part");
        Files.write(tmp, cubin);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        LOG.log(System.Logger.Level.INFO, String.format("Compiled %d CUDA kernels for sm_%d%d in %.1f s (cached in %s).",
                KernelSource.KERNELS.size(), major, minor, (System.nanoTime() - start) / 1e9, file));
        return cubin;
    }

    static byte[] compile(String text, List<String> options) {
        _nvrtcProgram program = new _nvrtcProgram();
        CudaCheck.nvrtc(nvrtc.nvrtcCreateProgram(program, new BytePointer(text), new BytePointer("iris_kernels.cu"), 0,
                (PointerPointer<?>) null, (PointerPointer<?>) null), "nvrtcCreateProgram");
        try {
            PointerPointer<BytePointer> opts = new PointerPointer<>(options.toArray(String[]::new));
            int status = nvrtc.nvrtcCompileProgram(program, options.size(), opts);
            if (status != nvrtc.NVRTC_SUCCESS) {
                throw new IllegalStateException("NVRTC could not compile the kernels: " + log(program));
            }
            SizeTPointer size = new SizeTPointer(1);
            CudaCheck.nvrtc(nvrtc.nvrtcGetCUBINSize(program, size), "nvrtcGetCUBINSize");
            byte[] out = new byte[(int) size.get()];
            CudaCheck.nvrtc(nvrtc.nvrtcGetCUBIN(program, out), "nvrtcGetCUBIN");
            return out;
        } finally {
            nvrtc.nvrtcDestroyProgram(program);
        }
    }

    private static String log(_nvrtcProgram program) {
        SizeTPointer size = new SizeTPointer(1);
        nvrtc.nvrtcGetProgramLogSize(program, size);
        byte[] log = new byte[(int) size.get()];
        nvrtc.nvrtcGetProgramLog(program, log);
        return new String(log, java.nio.charset.StandardCharsets.UTF_8).trim();
    }

    private static Path cacheDir() {
        String env = System.getenv("IRIS_CUDA_CACHE");
        return env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "iris", "cuda");
    }
}
