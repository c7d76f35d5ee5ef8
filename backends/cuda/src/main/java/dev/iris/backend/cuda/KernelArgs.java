package dev.iris.backend.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

import java.util.ArrayList;
import java.util.List;

/**
 * A kernel's arguments in the order of its C signature, packed as {@code cuLaunchKernel} takes
 * them: an array of pointers, each to an 8-byte slot holding one value.
 */
final class KernelArgs {

    private sealed interface Arg permits Ptr, I32, I64, F32 {
    }

    private record Ptr(long address) implements Arg {
    }

    private record I32(int value) implements Arg {
    }

    private record I64(long value) implements Arg {
    }

    private record F32(float value) implements Arg {
    }

    private final List<Arg> args = new ArrayList<>();

    /** A device address (a tensor's, or 0 for a null pointer). */
    KernelArgs ptr(long address) {
        args.add(new Ptr(address));
        return this;
    }

    KernelArgs ptr(CudaTensor t) {
        return ptr(t == null ? 0 : t.address());
    }

    KernelArgs i32(int v) {
        args.add(new I32(v));
        return this;
    }

    KernelArgs i64(long v) {
        args.add(new I64(v));
        return this;
    }

    KernelArgs f32(float v) {
        args.add(new F32(v));
        return this;
    }

    /** The most arguments a kernel of {@link KernelSource} takes, with room to spare. */
    static final int MAX = 24;

    /**
     * Writes the values into {@code slots} (8 bytes each) and points {@code pointers} at them,
     * as {@code cuLaunchKernel} reads its parameters (it copies them during the call, so the
     * buffers may be reused for the next launch).
     */
    void writeInto(BytePointer slots, PointerPointer<HostAddress> pointers) {
        if (args.size() > MAX) {
            throw new IllegalArgumentException(args.size() + " kernel arguments, at most " + MAX);
        }
        for (int i = 0; i < args.size(); i++) {
            long at = 8L * i;
            switch (args.get(i)) {
                case Ptr p -> slots.putLong(at, p.address());
                case I32 v -> slots.putInt(at, v.value());
                case I64 v -> slots.putLong(at, v.value());
                case F32 v -> slots.putFloat(at, v.value());
            }
            pointers.put(i, new HostAddress(slots.address() + at));
        }
    }
}
