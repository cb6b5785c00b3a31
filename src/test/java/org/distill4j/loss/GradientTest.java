package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The autograd gradient of the token-mean loss w.r.t. the student logits against central finite
 * differences of the host reference in double, on float32 inputs [2, 3, 5] with a mask, −∞ entries
 * shared by both models and a garbage (NaN) row at a masked position.
 */
class GradientTest {
    private static final int B = 2;
    private static final int T = 3;
    private static final int V = 5;
    private static final Shape SHAPE = new Shape(B, T, V);
    private static final float[] MASK = {0, 1, 1, 1, 1, 0};
    private static final double H = 1e-5;
    private static NDManager base;

    @BeforeAll
    static void open() {
        base = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        base.close();
    }

    @Test
    void matchesFiniteDifferencesForEveryDivergenceAndTemperature() {
        Random rng = new Random(11);
        float[] student = LossTestSupport.randomLogits(rng, B * T * V, 1.5);
        float[] teacher = LossTestSupport.randomLogits(rng, B * T * V, 1.5);
        // a masked vocabulary entry at position (0, 1) and at (1, 1) in both models
        for (int index : new int[] {(0 * T + 1) * V + 4, (1 * T + 1) * V + 0}) {
            student[index] = Float.NEGATIVE_INFINITY;
            teacher[index] = Float.NEGATIVE_INFINITY;
        }
        // position (1, 2) is padding: garbage the loss must not see
        for (int v = 0; v < V; v++) {
            student[(1 * T + 2) * V + v] = Float.NaN;
            teacher[(1 * T + 2) * V + v] = Float.NaN;
        }
        for (double temperature : new double[] {1, 0.5, 2}) {
            for (Divergence d : LossTestSupport.ALL) {
                check(d, temperature, student, teacher);
            }
        }
    }

    private static void check(Divergence d, double temperature, float[] student, float[] teacher) {
        DistillationLoss loss = new DistillationLoss(d, temperature);
        LossTestSupport.Evaluated got = LossTestSupport.evaluate(base, student, teacher, MASK, SHAPE,
                in -> loss.loss(in.student(), in.teacher(), in.mask(), Reduction.TOKEN_MEAN));
        double[] s = LossTestSupport.widen(student);
        double[] t = LossTestSupport.widen(teacher);
        double[] mask = LossTestSupport.widen(MASK);
        assertThat((double) got.value()).as("%s τ=%s value", d, temperature)
                .isCloseTo(Reference.tokenMean(d, temperature, s, t, mask, V), org.assertj.core.api.Assertions.within(1e-5));
        double worst = 0;
        double scale = 0;
        for (int i = 0; i < s.length; i++) {
            double fd = 0;
            if (Double.isFinite(s[i]) && mask[i / V] != 0) {
                double keep = s[i];
                s[i] = keep + H;
                double up = Reference.tokenMean(d, temperature, s, t, mask, V);
                s[i] = keep - H;
                double down = Reference.tokenMean(d, temperature, s, t, mask, V);
                s[i] = keep;
                fd = (up - down) / (2 * H);
            }
            assertThat(got.gradient()[i]).as("%s τ=%s gradient %d is finite", d, temperature, i).isFinite();
            worst = Math.max(worst, Math.abs(got.gradient()[i] - fd));
            scale = Math.max(scale, Math.abs(fd));
        }
        assertThat(scale).as("%s τ=%s has a gradient", d, temperature).isGreaterThan(1e-4);
        assertThat(worst / scale).as("%s τ=%s max gradient error relative to max |gradient|", d, temperature).isLessThan(1e-3);
    }
}
