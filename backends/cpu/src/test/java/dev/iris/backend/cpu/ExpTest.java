package dev.iris.backend.cpu;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The activations' exponential: within 3e-7 of Math.exp, and the vector and scalar forms give the same bits. */
class ExpTest {

    @Test
    void vectorAndScalarExpAgreeBitForBitAndStayCloseToMathExp() {
        int lanes = WeightRows.F.length();
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = -87f + 175f * i / (x.length - 1);
        }
        float[] v = new float[x.length];
        for (int i = 0; i < x.length; i += lanes) {
            ElementwiseKernels.exp(FloatVector.fromArray(WeightRows.F, x, i)).intoArray(v, i);
        }
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            float s = ElementwiseKernels.exp(x[i]);
            assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v[i]), "x = " + x[i]);
            worst = Math.max(worst, Math.abs(s / Math.exp(x[i]) - 1));
        }
        assertTrue(worst < 3e-7, "relative error " + worst);
        // Below -87 it is 0, so a masked (-inf) attention score weighs nothing, in both paths.
        assertEquals(0f, ElementwiseKernels.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, ElementwiseKernels.exp(FloatVector.broadcast(WeightRows.F, -1000f)).lane(0));
        // Clamped above: SiLU's x / (1 + e^-x) stays finite for any input.
        assertTrue(Float.isFinite(ElementwiseKernels.exp(1000f)));
    }
}
