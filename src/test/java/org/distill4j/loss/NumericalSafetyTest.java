package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** −∞ logits, garbage padding rows, empty masks, extreme logits and temperatures: no NaN anywhere. */
class NumericalSafetyTest {
    private static final int B = 2;
    private static final int T = 3;
    private static final int V = 6;
    private static final Shape SHAPE = new Shape(B, T, V);
    private static final double[] TEMPERATURES = {0.5, 1, 2};
    private static NDManager base;

    @BeforeAll
    static void open() {
        base = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        base.close();
    }

    private static LossTestSupport.Evaluated run(Divergence d, double temperature, float[] student, float[] teacher, float[] mask,
                                                 Reduction reduction) {
        DistillationLoss loss = new DistillationLoss(d, temperature);
        return LossTestSupport.evaluate(base, student, teacher, mask, SHAPE,
                in -> loss.loss(in.student(), in.teacher(), in.mask(), reduction));
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }

    @Test
    void teacherZerosKeepEveryDivergenceExceptReverseKlFiniteWithFiniteGradients() {
        Random rng = new Random(3);
        float[] student = LossTestSupport.randomLogits(rng, B * T * V, 1.0);
        float[] teacher = LossTestSupport.randomLogits(rng, B * T * V, 1.0);
        for (int pos = 0; pos < B * T; pos++) {
            teacher[pos * V + pos % V] = Float.NEGATIVE_INFINITY; // one class per position the teacher rules out
        }
        for (double temperature : TEMPERATURES) {
            for (Divergence d : LossTestSupport.FINITE_WITH_TEACHER_ZEROS) {
                LossTestSupport.Evaluated e = run(d, temperature, student, teacher, ones(B * T), Reduction.TOKEN_MEAN);
                assertThat(e.value()).as("%s τ=%s", d, temperature).isFinite();
                assertThat(LossTestSupport.allFinite(e.gradient())).as("%s τ=%s gradient", d, temperature).isTrue();
                double expected = Reference.tokenMean(d, temperature, LossTestSupport.widen(student), LossTestSupport.widen(teacher),
                        LossTestSupport.widen(ones(B * T)), V);
                assertThat((double) e.value()).isCloseTo(expected, within(2e-6 * Math.max(1, expected)));
            }
            for (Divergence d : List.of(new ReverseKl(), new Jsd(1))) {
                assertThat(run(d, temperature, student, teacher, ones(B * T), Reduction.TOKEN_MEAN).value())
                        .as("%s is infinite when the student has mass where the teacher has none", d).isInfinite();
            }
        }
    }

    @Test
    void studentZerosKeepReverseDivergencesFinite() {
        Random rng = new Random(4);
        float[] student = LossTestSupport.randomLogits(rng, B * T * V, 1.0);
        float[] teacher = LossTestSupport.randomLogits(rng, B * T * V, 1.0);
        for (int pos = 0; pos < B * T; pos++) {
            student[pos * V + (pos + 2) % V] = Float.NEGATIVE_INFINITY;
        }
        for (double temperature : TEMPERATURES) {
            for (Divergence d : List.of(new ReverseKl(), new Jsd(0.5), new Jsd(0.9), new Jsd(1), new SkewKl(0.1),
                    new SkewReverseKl(0.1), new Tvd())) {
                LossTestSupport.Evaluated e = run(d, temperature, student, teacher, ones(B * T), Reduction.TOKEN_MEAN);
                assertThat(e.value()).as("%s τ=%s", d, temperature).isFinite();
                assertThat(LossTestSupport.allFinite(e.gradient())).as("%s τ=%s gradient", d, temperature).isTrue();
            }
        }
    }

    @Test
    void sharedMaskedVocabularyAndGarbagePaddingRowsGiveNoNaN() {
        Random rng = new Random(5);
        float[] student = LossTestSupport.randomLogits(rng, B * T * V, 1.0);
        float[] teacher = LossTestSupport.randomLogits(rng, B * T * V, 1.0);
        for (int pos = 0; pos < B * T; pos++) {
            student[pos * V + V - 1] = Float.NEGATIVE_INFINITY; // a padded vocabulary entry
            teacher[pos * V + V - 1] = Float.NEGATIVE_INFINITY;
        }
        Arrays.fill(student, 0, V, Float.NEGATIVE_INFINITY);   // position (0, 0): all −∞
        Arrays.fill(teacher, 0, V, Float.NEGATIVE_INFINITY);
        Arrays.fill(student, 5 * V, 6 * V, Float.NaN);        // position (1, 2): NaN
        Arrays.fill(teacher, 5 * V, 6 * V, Float.NaN);
        float[] mask = {0, 1, 1, 1, 1, 0};
        for (double temperature : TEMPERATURES) {
            for (Divergence d : LossTestSupport.ALL) {
                for (Reduction r : Reduction.values()) {
                    LossTestSupport.Evaluated e = run(d, temperature, student, teacher, mask, r);
                    assertThat(e.value()).as("%s τ=%s %s", d, temperature, r).isFinite();
                    assertThat(LossTestSupport.allFinite(e.gradient())).as("%s τ=%s %s gradient", d, temperature, r).isTrue();
                    for (int v = 0; v < V; v++) {
                        assertThat(e.gradient()[v]).isZero();
                        assertThat(e.gradient()[5 * V + v]).isZero();
                    }
                }
            }
        }
    }

    @Test
    void anEmptyMaskGivesZeroLossAndZeroGradientEvenOnGarbage() {
        float[] garbage = new float[B * T * V];
        Arrays.fill(garbage, Float.NaN);
        Arrays.fill(garbage, 0, V, Float.NEGATIVE_INFINITY);
        for (Divergence d : LossTestSupport.ALL) {
            for (Reduction r : Reduction.values()) {
                LossTestSupport.Evaluated e = run(d, 1, garbage, garbage, new float[B * T], r);
                assertThat(e.value()).as("%s %s", d, r).isZero();
                assertThat(LossTestSupport.maxAbs(e.gradient())).as("%s %s gradient", d, r).isZero();
                assertThat(LossTestSupport.allFinite(e.gradient())).isTrue();
            }
        }
    }

    @Test
    void extremeLogitsWhoseProbabilitiesUnderflowStayFinite() {
        Random rng = new Random(6);
        float[] student = LossTestSupport.randomLogits(rng, B * T * V, 1e4);
        float[] teacher = LossTestSupport.randomLogits(rng, B * T * V, 1e4);
        for (double temperature : TEMPERATURES) {
            for (Divergence d : List.of(new Jsd(0.5), new Jsd(0.1), new SkewKl(0.1), new SkewReverseKl(0.1), new Tvd(),
                    new ForwardKl(), new ReverseKl())) {
                LossTestSupport.Evaluated e = run(d, temperature, student, teacher, ones(B * T), Reduction.TOKEN_MEAN);
                assertThat(e.value()).as("%s τ=%s", d, temperature).isFinite();
                assertThat(LossTestSupport.allFinite(e.gradient())).as("%s τ=%s gradient", d, temperature).isTrue();
            }
        }
    }
}
