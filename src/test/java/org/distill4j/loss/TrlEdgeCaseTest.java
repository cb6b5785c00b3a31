package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** TRL's edge case: student [0.1, 0.9], teacher [0.9, 0.1] → JSD with β = 0 and β = 1 both equal 0.8·ln 9. */
class TrlEdgeCaseTest {
    @Test
    void jsdAtBothEndsEqualsPointEightLnNine() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray student = m.create(new float[] {(float) Math.log(0.1), (float) Math.log(0.9)}, new Shape(1, 1, 2));
            NDArray teacher = m.create(new float[] {(float) Math.log(0.9), (float) Math.log(0.1)}, new Shape(1, 1, 2));
            double expected = 0.8 * Math.log(9);
            for (double beta : new double[] {0, 1}) {
                float got = new DistillationLoss(new Jsd(beta), 1.0).perToken(student, teacher).toFloatArray()[0];
                assertThat((double) got).as("β = %s", beta).isCloseTo(expected, Offset.offset(1e-5));
            }
        }
    }
}
