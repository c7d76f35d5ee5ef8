package dev.iris.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Grid and block sizes by kernel family, within CUDA's limits. */
class LaunchShapeTest {

    @Test
    void elementwiseKernelsCoverEveryElementWithAtMostTheBlockCap() {
        assertEquals(new LaunchShape(1, 1, 256), LaunchShape.elements(0));
        assertEquals(new LaunchShape(1, 1, 256), LaunchShape.elements(256));
        assertEquals(new LaunchShape(2, 1, 256), LaunchShape.elements(257));
        // Qwen2-VL-2B's logits for a 8192-row chunk: 1.2 G floats, grid-strided over the cap.
        assertEquals(new LaunchShape(LaunchShape.MAX_ELEMENT_BLOCKS, 1, 256), LaunchShape.elements(8192L * 151936));
    }

    @Test
    void rowKernelsUseWholeWarpsUpToAThousandThreads() {
        assertEquals(new LaunchShape(7, 1, 32), LaunchShape.rows(7, 1));
        assertEquals(new LaunchShape(7, 1, 64), LaunchShape.rows(7, 33));
        assertEquals(new LaunchShape(3, 1, 1024), LaunchShape.rows(3, 1536));
        assertEquals(new LaunchShape(3, 1, 1024), LaunchShape.rows(3, 151936));
    }

    @Test
    void attentionRunsOneBlockOfFourWarpsPerRowAndHead() {
        assertEquals(new LaunchShape(8192, 28, 128), LaunchShape.attention(8192, 28));
        assertThrows(IllegalArgumentException.class, () -> LaunchShape.attention(10, 70000));
    }
}
