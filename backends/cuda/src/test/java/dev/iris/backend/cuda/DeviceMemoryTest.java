package dev.iris.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Size classes of the activation allocator: four per power of two, never more than a quarter unused. */
class DeviceMemoryTest {

    @Test
    void sizesRoundUpToOneOfFourClassesPerOctave() {
        assertEquals(256, DeviceMemory.sizeClass(1));
        assertEquals(256, DeviceMemory.sizeClass(256));
        assertEquals(320, DeviceMemory.sizeClass(257));
        assertEquals(1024, DeviceMemory.sizeClass(1024));
        assertEquals(1280, DeviceMemory.sizeClass(1025));
        assertEquals(6L << 20, DeviceMemory.sizeClass((5L << 20) + 1));
        for (long b = 257; b < 1 << 22; b = b * 3 / 2 + 7) {
            long c = DeviceMemory.sizeClass(b);
            assertTrue(c >= b && c <= b * 1.25 + 1, b + " → " + c);
        }
    }
}
