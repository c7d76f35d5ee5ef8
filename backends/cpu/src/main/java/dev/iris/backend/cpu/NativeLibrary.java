package dev.iris.backend.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** The native kernel libraries built into this module (src/main/c), as files the process can load. */
final class NativeLibrary {

    private NativeLibrary() {
    }

    /**
     * Library {@code lib<name>.so} of this module as a loadable file: one per build in the user's
     * cache ({@code $XDG_CACHE_HOME} or {@code ~/.cache}, {@code iris/native/}), named by its
     * content's hash and reused only if its bytes are these, so restarts and crashed processes
     * leave no copies behind; written under another name and moved into place. Where the cache
     * cannot be written, a temporary file deleted at exit.
     */
    static Path extract(String name) throws IOException {
        byte[] lib;
        String resource = "lib" + name + ".so";
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is not in the jar (gcc was missing at build time)");
            }
            lib = in.readAllBytes();
        }
        try {
            String cache = System.getenv("XDG_CACHE_HOME");
            Path dir = (cache == null || cache.isBlank() ? Path.of(System.getProperty("user.home"), ".cache")
                    : Path.of(cache)).resolve("iris/native");
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(lib), 0, 8);
            Path file = dir.resolve(name + "-" + hash + ".so");
            if (!Files.isRegularFile(file) || !Arrays.equals(Files.readAllBytes(file), lib)) {
                Files.createDirectories(dir);
                Path part = Files.createTempFile(dir, name + "-", ".part");
                try {
                    Files.write(part, lib);
                    Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(part);
                }
            }
            return file;
        } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
            Path file = Files.createTempFile(name + "-", ".so");
            file.toFile().deleteOnExit();
            Files.write(file, lib);
            return file;
        }
    }

    /** Library {@code lib<name>.so} of this module, loaded for the life of the process. */
    static SymbolLookup load(String name) throws IOException {
        return SymbolLookup.libraryLookup(extract(name), Arena.global());
    }

    /**
     * A {@code void} function of a library as a critical downcall: short, no upcalls, and it may
     * read and write Java arrays in place.
     */
    static MethodHandle critical(SymbolLookup lib, String function, MemoryLayout... args) {
        return Linker.nativeLinker().downcallHandle(lib.find(function).orElseThrow(), FunctionDescriptor.ofVoid(args),
                Linker.Option.critical(true));
    }

    /** A {@code void} function of a library as a plain downcall (native memory only; long calls are fine). */
    static MethodHandle plain(SymbolLookup lib, String function, MemoryLayout... args) {
        return Linker.nativeLinker().downcallHandle(lib.find(function).orElseThrow(), FunctionDescriptor.ofVoid(args));
    }

    /** {@code iris_native_alloc} of a library (src/main/c/iris_mem.c). */
    static MethodHandle alloc(SymbolLookup lib) {
        return Linker.nativeLinker().downcallHandle(lib.find("iris_native_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    /** {@code iris_native_free} of a library. */
    static MethodHandle free(SymbolLookup lib) {
        return Linker.nativeLinker().downcallHandle(lib.find("iris_native_free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    /**
     * Native memory for a weight's repacked form through a library's {@code alloc}/{@code free},
     * freed when the segment is no longer reachable. Not from an arena's allocate: that counts
     * against the JVM's direct-memory limit (the heap's size by default), which the weights of a
     * model exceed.
     */
    static MemorySegment allocate(MethodHandle alloc, MethodHandle free, long bytes, Object weight) {
        MemorySegment at;
        try {
            at = (MemorySegment) alloc.invokeExact(bytes);
        } catch (Throwable e) {
            throw new IllegalStateException("native weight memory failed", e);
        }
        if (at.address() == 0) {
            throw new IllegalStateException("cannot map " + bytes + " bytes for the repacked weight " + weight);
        }
        return at.reinterpret(bytes, Arena.ofAuto(), s -> {
            try {
                free.invokeExact(s, bytes);
            } catch (Throwable e) {
                throw new IllegalStateException("native weight memory was not freed", e);
            }
        });
    }
}
