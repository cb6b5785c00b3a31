package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Properties every divergence must have, on random distributions (16 positions of 7 classes). */
class PropertiesTest {
    private static final int POSITIONS = 16;
    private static final int V = 7;
    private static final Shape SHAPE = new Shape(2, POSITIONS / 2, V);
    private static NDManager base;
    private static float[] teacher;
    private static float[] student;

    @BeforeAll
    static void open() {
        base = NDManager.newBaseManager();
        Random rng = new Random(7);
        teacher = LossTestSupport.randomLogits(rng, POSITIONS * V, 2.0);
        student = LossTestSupport.randomLogits(rng, POSITIONS * V, 2.0);
    }

    @AfterAll
    static void close() {
        base.close();
    }

    static float[] perToken(Divergence d, float[] teacherLogits, float[] studentLogits) {
        try (NDManager m = base.newSubManager()) {
            return new DistillationLoss(d, 1).perToken(m.create(studentLogits, SHAPE), m.create(teacherLogits, SHAPE)).toFloatArray();
        }
    }

    @Test
    void nonNegativeAndZeroExactlyWhenTheDistributionsAgree() {
        for (Divergence d : LossTestSupport.ALL) {
            float[] apart = perToken(d, teacher, student);
            float[] same = perToken(d, teacher, teacher);
            for (int i = 0; i < POSITIONS; i++) {
                assertThat(apart[i]).as("%s at %d", d, i).isGreaterThan(1e-4f);
                assertThat(same[i]).as("%s of p with itself at %d", d, i).isCloseTo(0f, within(1e-6f));
            }
        }
    }

    @Test
    void symmetricJsdAtOneHalfIsBoundedByLog2AndGeneralJsdByTheBinaryEntropy() {
        float[] forward = perToken(new Jsd(0.5), teacher, student);
        float[] swapped = perToken(new Jsd(0.5), student, teacher);
        for (int i = 0; i < POSITIONS; i++) {
            assertThat(forward[i]).isCloseTo(swapped[i], within(1e-6f));
            assertThat((double) forward[i]).isLessThanOrEqualTo(Math.log(2));
        }
        // disjoint supports reach the bound h(β) = −β log β − (1−β) log(1−β)
        float[] p = {0f, Float.NEGATIVE_INFINITY};
        float[] q = {Float.NEGATIVE_INFINITY, 0f};
        for (double beta : new double[] {0.1, 0.5, 0.7}) {
            double h = -beta * Math.log(beta) - (1 - beta) * Math.log(1 - beta);
            assertThat(LossTestSupport.at(base, new Jsd(beta), 1, p, q)).isCloseTo(h, within(1e-6));
            float[] values = perToken(new Jsd(beta), teacher, student);
            for (float v : values) {
                assertThat((double) v).isLessThanOrEqualTo(h);
            }
        }
    }

    @Test
    void tvdIsSymmetricAndAtMostOne() {
        float[] forward = perToken(new Tvd(), teacher, student);
        float[] swapped = perToken(new Tvd(), student, teacher);
        for (int i = 0; i < POSITIONS; i++) {
            assertThat(forward[i]).isCloseTo(swapped[i], within(1e-6f)).isLessThanOrEqualTo(1f);
        }
        float[] p = {0f, Float.NEGATIVE_INFINITY};
        float[] q = {Float.NEGATIVE_INFINITY, 0f};
        assertThat(LossTestSupport.at(base, new Tvd(), 1, p, q)).isCloseTo(1.0, within(1e-7));
    }

    @Test
    void skewKlInterpolatesBetweenKlAndZeroAndIsBoundedByMinusLogAlpha() {
        assertThat(perToken(new SkewKl(0), teacher, student)).containsExactly(perToken(new ForwardKl(), teacher, student));
        assertThat(perToken(new SkewReverseKl(0), teacher, student)).containsExactly(perToken(new ReverseKl(), teacher, student));
        for (float v : perToken(new SkewKl(1), teacher, student)) {
            assertThat(v).isCloseTo(0f, within(1e-7f));
        }
        for (double alpha : new double[] {0.05, 0.1, 0.5}) {
            for (float v : perToken(new SkewKl(alpha), teacher, student)) {
                assertThat((double) v).isLessThanOrEqualTo(-Math.log(alpha));
            }
            for (float v : perToken(new SkewReverseKl(alpha), teacher, student)) {
                assertThat((double) v).isLessThanOrEqualTo(-Math.log(alpha));
            }
        }
    }

    /**
     * TRL's ends: β = 0 is KL(p‖q) and β = 1 is KL(q‖p) exactly. The formula itself tends to 0 at both
     * ends, like β·KL(p‖q) and (1−β)·KL(q‖p), so the ends are a jump, not a limit.
     */
    @Test
    void jsdEndsAreTheKlsAndTheFormulaApproachesThemOnlyAfterRescaling() {
        float[] forward = perToken(new ForwardKl(), teacher, student);
        float[] reverse = perToken(new ReverseKl(), teacher, student);
        assertThat(perToken(new Jsd(0), teacher, student)).containsExactly(forward);
        assertThat(perToken(new Jsd(1), teacher, student)).containsExactly(reverse);
        // β must be small against every ratio q/p for the O(β) correction to vanish; logits of scale 2
        // give ratios near e^-8, hence 1e-5
        double eps = 1e-5;
        float[] nearZero = perToken(new Jsd(eps), teacher, student);
        float[] nearOne = perToken(new Jsd(1 - eps), teacher, student);
        float[] tiny = perToken(new Jsd(1e-7), teacher, student);
        for (int i = 0; i < POSITIONS; i++) {
            assertThat(nearZero[i] / eps).as("JSD_β/β → KL(p‖q) at %d", i).isCloseTo(forward[i], within(2e-2 * forward[i]));
            assertThat(nearOne[i] / eps).as("JSD_β/(1−β) → KL(q‖p) at %d", i).isCloseTo(reverse[i], within(2e-2 * reverse[i]));
            assertThat((double) tiny[i]).as("JSD_β → 0 at %d", i).isLessThan(1e-5 * Math.max(1, forward[i]));
        }
        // and the same through the independent host formula, in double
        double[] p = Reference.softmax(LossTestSupport.widen(java.util.Arrays.copyOf(teacher, V)), 1);
        double[] q = Reference.softmax(LossTestSupport.widen(java.util.Arrays.copyOf(student, V)), 1);
        double kl = Reference.kl(p, q);
        for (double beta : new double[] {1e-6, 1e-7, 1e-8}) {
            // the relative gap shrinks in proportion to β
            assertThat(Reference.divergence(new Jsd(beta), p, q) / beta).isCloseTo(kl, within(100 * beta * kl));
        }
        double rkl = Reference.kl(q, p);
        assertThat(Reference.divergence(new Jsd(1 - 1e-8), p, q) / 1e-8).isCloseTo(rkl, within(1e-5 * rkl));
    }

    @Test
    void agreesWithTheHostReferenceOnRandomDistributions() {
        for (Divergence d : LossTestSupport.ALL) {
            float[] values = perToken(d, teacher, student);
            for (int i = 0; i < POSITIONS; i++) {
                double[] p = Reference.softmax(LossTestSupport.widen(java.util.Arrays.copyOfRange(teacher, i * V, (i + 1) * V)), 1);
                double[] q = Reference.softmax(LossTestSupport.widen(java.util.Arrays.copyOfRange(student, i * V, (i + 1) * V)), 1);
                double expected = Reference.divergence(d, p, q);
                assertThat((double) values[i]).as("%s at %d", d, i).isCloseTo(expected, within(2e-6 * Math.max(1, expected)));
            }
        }
    }
}
