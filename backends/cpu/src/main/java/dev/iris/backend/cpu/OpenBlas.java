package dev.iris.backend.cpu;

import org.bytedeco.openblas.global.openblas;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Loads the bundled OpenBLAS once, with the kernels chosen for this CPU. OpenBLAS picks its core
 * when the library is opened, from {@code OPENBLAS_CORETYPE} if set, so the variable is set in
 * the process's C environment (through libc's {@code setenv}) before the first OpenBLAS class is
 * touched; an operator's own {@code OPENBLAS_CORETYPE} wins. Every user of OpenBLAS in this
 * backend goes through {@link #AVAILABLE} so the order holds.
 */
final class OpenBlas {

    static final boolean AVAILABLE;
    /** Why OpenBLAS could not load; empty when it did. */
    static final String UNAVAILABLE_REASON;
    /** The core OpenBLAS runs ("SkylakeX", "Haswell", …) and why: chosen here, set by the operator, or its own. */
    static final String CORE;

    static {
        String env = System.getenv("OPENBLAS_CORETYPE");
        String chosen = CpuFeatures.HOST.openBlasCore();
        String source;
        if (env != null && !env.isBlank()) {
            source = "OPENBLAS_CORETYPE from the environment";
        } else if (chosen != null && setenv("OPENBLAS_CORETYPE", chosen)) {
            source = "chosen for this CPU";
        } else {
            source = "OpenBLAS's own detection";
        }
        String reason = "";
        String core = "none";
        try {
            // Our pool provides the parallelism; OpenBLAS's own threads would fight it.
            openblas.blas_set_num_threads(1);
            core = coreName() + " core, " + source;
        } catch (Throwable e) {
            reason = e.toString();
        }
        UNAVAILABLE_REASON = reason;
        AVAILABLE = reason.isEmpty();
        CORE = core;
    }

    private OpenBlas() {
    }

    /**
     * {@code openblas_get_corename()}, which the preset's {@code openblas} class does not map; the
     * library is looked up by its soname, so the copy JavaCPP already loaded is the one asked.
     */
    private static String coreName() {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle corename = linker.downcallHandle(
                    SymbolLookup.libraryLookup("libopenblas.so.0", Arena.global()).find("openblas_get_corename")
                            .orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS));
            MemorySegment name = (MemorySegment) corename.invokeExact();
            return name.reinterpret(256).getString(0); // a short static C string
        } catch (Throwable e) {
            return "unknown";
        }
    }

    /** libc's {@code setenv(name, value, 1)}; false where it cannot be called. */
    private static boolean setenv(String name, String value) {
        try (Arena arena = Arena.ofConfined()) {
            Linker linker = Linker.nativeLinker();
            MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT));
            MemorySegment n = arena.allocateFrom(name);
            MemorySegment v = arena.allocateFrom(value);
            return (int) setenv.invokeExact(n, v, 1) == 0;
        } catch (Throwable e) {
            return false;
        }
    }
}
