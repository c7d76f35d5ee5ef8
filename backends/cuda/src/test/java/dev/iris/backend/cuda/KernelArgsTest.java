package dev.iris.backend.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Kernel parameters as cuLaunchKernel reads them: one 8-byte slot per argument, a pointer to each. */
class KernelArgsTest {

    @Test
    void eachArgumentLandsInItsOwnSlotAndIsPointedAt() {
        try (BytePointer slots = new BytePointer(8L * KernelArgs.MAX);
             PointerPointer<HostAddress> pointers = new PointerPointer<>(KernelArgs.MAX)) {
            new KernelArgs().ptr(0x7f00_1234_5678L).i32(-3).i64(1L << 40).f32(0.125f).writeInto(slots, pointers);
            assertEquals(0x7f00_1234_5678L, slots.getLong(0));
            assertEquals(-3, slots.getInt(8));
            assertEquals(1L << 40, slots.getLong(16));
            assertEquals(0.125f, slots.getFloat(24));
            for (int i = 0; i < 4; i++) {
                assertEquals(slots.address() + 8L * i, pointers.get(i).address());
            }
        }
    }

    @Test
    void tooManyArgumentsAreRefused() {
        KernelArgs args = new KernelArgs();
        for (int i = 0; i <= KernelArgs.MAX; i++) {
            args.i32(i);
        }
        try (BytePointer slots = new BytePointer(8L * KernelArgs.MAX);
             PointerPointer<HostAddress> pointers = new PointerPointer<>(KernelArgs.MAX)) {
            assertThrows(IllegalArgumentException.class, () -> args.writeInto(slots, pointers));
        }
    }
}
