package dev.iris.modelkit.rope;

import dev.iris.api.compute.ComputeBackend;
import dev.iris.api.model.Positions;
import dev.iris.api.tensor.Tensor;
import dev.iris.backend.cpu.CpuComputeBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RotaryEmbeddingTest {

    private final ComputeBackend cpu = new CpuComputeBackend();

    @Test
    void mropeSlotsReadTheirSectionsAxis() {
        // Head dim 16 → 8 slots; sections [2, 3, 3]: slots 0-1 temporal, 2-4 height, 5-7 width.
        RotaryEmbedding rope = RotaryEmbedding.create(16, 10000, null, new int[]{2, 3, 3});
        assertEquals(3, rope.axes());
        Positions p = new Positions(3, new int[]{5, 7, 11}); // one token: T=5, H=7, W=11
        float[] cos = cpu.toFloats(rope.tables(cpu, p)[0]);
        int[] axisPos = {5, 5, 7, 7, 7, 11, 11, 11};
        for (int i = 0; i < 8; i++) {
            float inv = (float) (1.0 / Math.pow(10000, 2.0 * i / 16));
            assertEquals((float) Math.cos(axisPos[i] * inv), cos[i], 1e-7f, "slot " + i);
        }
    }

    @Test
    void llama3ScalingKeepsShortWavelengthsAndDividesLongOnes() {
        RopeScaling s = new RopeScaling(8, 1, 4, 8192);
        double shortWave = 2 * Math.PI / 100;     // wavelength 100 < 8192 / 4: kept
        double longWave = 2 * Math.PI / 100_000;  // wavelength 100000 > 8192: divided by 8
        assertEquals(shortWave, s.apply(shortWave), 0);
        assertEquals(longWave / 8, s.apply(longWave), 1e-18);
        // In between, the blend moves smoothly from scaled (at 8192) to kept (at 2048).
        double mid = 2 * Math.PI / 4096;
        double smooth = (8192 / 4096.0 - 1) / (4 - 1);
        assertEquals((1 - smooth) * mid / 8 + smooth * mid, s.apply(mid), 1e-15);
    }

    @Test
    void oneDimensionalPositionsSpanTheCosAndSinTables() {
        RotaryEmbedding rope = RotaryEmbedding.create(8, 10000, null, null);
        Tensor[] t = rope.tables(cpu, Positions.sequential(1, 3, 2));
        float[] sin = cpu.toFloats(t[1]);
        assertEquals((float) Math.sin(4 * (float) (1.0 / Math.pow(10000, 2.0 / 8))), sin[4 + 1], 1e-7f);
    }
}
