package dev.iris.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The CUDA C of every kernel as one NVRTC program: the files under {@code kernels/} joined in
 * dependency order, with the compile options for a GPU architecture. Needs no GPU, so the text,
 * the kernel names and the cache key are checked on any machine.
 */
final class KernelSource {

    /** The files, shared helpers first. */
    static final List<String> FILES = List.of("common.cuh", "elementwise.cu", "rows.cu", "attention.cu");

    /** Every kernel the backends launch, by its {@code extern "C"} name. */
    static final List<String> KERNELS = List.of("activation", "gated_activation", "broadcast_binary", "scale",
            "to_float", "from_float", "gather_rows", "transpose5", "copy_columns", "patchify", "rms_norm", "layer_norm",
            "softmax_rows", "rotary", "kv_write", "attend");

    private KernelSource() {
    }

    /** The program text. */
    static String text() {
        StringBuilder b = new StringBuilder();
        for (String f : FILES) {
            try (InputStream in = KernelSource.class.getResourceAsStream("kernels/" + f)) {
                if (in == null) {
                    throw new IllegalStateException("kernel file missing from the jar: kernels/" + f);
                }
                b.append("// ---- ").append(f).append('\n').append(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                        .append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return b.toString();
    }

    /** NVRTC options for compute capability {@code major.minor}: a cubin for exactly that GPU, IEEE math. */
    static List<String> options(int major, int minor) {
        if (major < 7) {
            throw new IllegalArgumentException("compute capability " + major + "." + minor
                    + " is below 7.0, the oldest Iris supports");
        }
        return List.of("--gpu-architecture=sm_" + major + minor, "--std=c++17", "-default-device");
    }

    /** Names a compiled program: the text, the options and the compiler version (a new NVRTC recompiles). */
    static String cacheKey(String text, List<String> options, String compilerVersion) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(text.getBytes(StandardCharsets.UTF_8));
            sha.update(String.join(" ", options).getBytes(StandardCharsets.UTF_8));
            sha.update(compilerVersion.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
