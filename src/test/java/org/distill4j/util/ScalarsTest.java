package org.distill4j.util;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The constant of {@link Scalars#mul}/{@link Scalars#div} must survive until the backward pass, whatever
 * becomes of its Java handle: between the forward and the backward pass this test closes every handle,
 * runs the garbage collector and fills freshly allocated direct memory with another value, which is what
 * corrupted gradients when the constant lived in a Java buffer (DJL's mul(Number)).
 */
class ScalarsTest {
    @Test
    void theGradientOfAScaledArrayIsTheConstantAfterTheHandlesAreGone() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (int round = 0; round < 20; round++) {
                NDArray x = m.create(new float[] {1f, -2f, 3f, 0.5f}, new Shape(4));
                x.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = Scalars.div(Scalars.mul(x, 3.0), 0.25).sum();
                    churnDirectMemory();
                    gc.backward(y);
                }
                assertThat(x.getGradient().toFloatArray()).containsOnly(12f);
            }
        }
    }

    @Test
    void theConstantHasTheArraysType() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new double[] {2.0});
            assertThat(Scalars.of(x, 0.5).getDataType()).isEqualTo(x.getDataType());
            assertThat(Scalars.div(x, 4).toDoubleArray()).containsExactly(0.5);
        }
    }

    /** Frees collected direct buffers and reuses their memory for buffers full of 7s. */
    private static void churnDirectMemory() {
        System.gc();
        List<ByteBuffer> keep = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4 + (i % 16) * 4);
            while (b.remaining() >= 4) {
                b.putFloat(7f);
            }
            keep.add(b);
        }
        keep.clear();
    }
}
