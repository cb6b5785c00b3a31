package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The unmasked finite forward-KL fast path equals the general masked computation, in value and gradient. */
class ForwardKlFastPathTest {
    private static float[] random(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (3 * rng.nextGaussian());
        }
        return a;
    }

    private static float[][] lossAndGrad(float[] s, float[] t, float[] mask, double tau) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray student = m.create(s, new Shape(2, 3, 7));
            student.setRequiresGradient(true);
            NDArray teacher = m.create(t, new Shape(2, 3, 7));
            NDArray msk = m.create(mask, new Shape(2, 3));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray d = new DistillationLoss(new ForwardKl(), tau).perToken(student, teacher, msk);
                float[] values = d.toFloatArray();
                gc.backward(d.mul(msk).sum());
                return new float[][] {values, student.getGradient().toFloatArray()};
            }
        }
    }

    @Test
    void fastPathMatchesTheGeneralPath() {
        float[] s = random(42, 1);
        float[] t = random(42, 2);
        for (double tau : new double[] {1.0, 0.5, 2.0}) {
            float[][] fast = lossAndGrad(s, t, new float[] {1, 1, 1, 1, 1, 1}, tau);
            // one masked position sends the same inputs down the general (masked) path
            float[][] general = lossAndGrad(s, t, new float[] {1, 1, 1, 1, 1, 0}, tau);
            for (int i = 0; i < 5; i++) {
                assertThat(fast[0][i]).as("τ=%s position %d", tau, i).isCloseTo(general[0][i], org.assertj.core.data.Offset.offset(1e-5f));
            }
            for (int i = 0; i < 5 * 7; i++) {
                assertThat(fast[1][i]).isCloseTo(general[1][i], org.assertj.core.data.Offset.offset(1e-6f));
            }
        }
    }
}
