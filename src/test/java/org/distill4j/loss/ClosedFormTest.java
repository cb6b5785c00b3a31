package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each divergence on small distributions whose value is worked out by hand. */
class ClosedFormTest {
    private static final double TOL = 1e-6;
    private static final double LN2 = Math.log(2);
    private static final double LN3 = Math.log(3);
    private static NDManager base;

    @BeforeAll
    static void open() {
        base = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        base.close();
    }

    /** D at one position, teacher and student given as logits. */
    static double at(Divergence d, double temperature, float[] teacherLogits, float[] studentLogits) {
        return LossTestSupport.at(base, d, temperature, teacherLogits, studentLogits);
    }

    static float[] logits(double... probabilities) {
        float[] out = new float[probabilities.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Math.log(probabilities[i]); // 0 → −∞
        }
        return out;
    }

    static float[] shifted(float[] logits, float by) {
        float[] out = logits.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += by;
        }
        return out;
    }

    // p = (0.8, 0.2), q = (0.4, 0.6); the student's logits are shifted to show only differences matter
    private static final float[] P2 = logits(0.8, 0.2);
    private static final float[] Q2 = shifted(logits(0.4, 0.6), 3f);

    @Test
    void twoPointDistributions() {
        assertThat(at(new ForwardKl(), 1, P2, Q2)).isCloseTo(0.8 * LN2 - 0.2 * LN3, within(TOL));
        assertThat(at(new ReverseKl(), 1, P2, Q2)).isCloseTo(-0.4 * LN2 + 0.6 * LN3, within(TOL));
        assertThat(at(new Tvd(), 1, P2, Q2)).isCloseTo(0.4, within(TOL));
        // β = ½: M = (0.6, 0.4)
        double jsdHalf = 0.5 * (0.8 * Math.log(0.8 / 0.6) + 0.2 * Math.log(0.2 / 0.4))
                + 0.5 * (0.4 * Math.log(0.4 / 0.6) + 0.6 * Math.log(0.6 / 0.4));
        assertThat(at(new Jsd(0.5), 1, P2, Q2)).isCloseTo(jsdHalf, within(TOL));
        // β = 0.1: M = 0.1·p + 0.9·q = (0.44, 0.56), the teacher's weight is β
        double jsdTenth = 0.1 * (0.8 * Math.log(0.8 / 0.44) + 0.2 * Math.log(0.2 / 0.56))
                + 0.9 * (0.4 * Math.log(0.4 / 0.44) + 0.6 * Math.log(0.6 / 0.56));
        assertThat(at(new Jsd(0.1), 1, P2, Q2)).isCloseTo(jsdTenth, within(TOL));
        // skew KL α = 0.1: KL(p ‖ 0.1·p + 0.9·q) = KL(p ‖ (0.44, 0.56))
        assertThat(at(new SkewKl(0.1), 1, P2, Q2)).isCloseTo(0.8 * Math.log(0.8 / 0.44) + 0.2 * Math.log(0.2 / 0.56), within(TOL));
        // skew reverse KL α = 0.1: KL(q ‖ 0.1·q + 0.9·p) = KL(q ‖ (0.76, 0.24))
        assertThat(at(new SkewReverseKl(0.1), 1, P2, Q2)).isCloseTo(0.4 * Math.log(0.4 / 0.76) + 0.6 * Math.log(0.6 / 0.24), within(TOL));
        // the ends of TRL's β are the two KLs
        assertThat(at(new Jsd(0), 1, P2, Q2)).isCloseTo(0.8 * LN2 - 0.2 * LN3, within(TOL));
        assertThat(at(new Jsd(1), 1, P2, Q2)).isCloseTo(-0.4 * LN2 + 0.6 * LN3, within(TOL));
    }

    @Test
    void threePointDistributionWhereTheTeacherGivesAClassZeroMass() {
        float[] p = logits(0.5, 0.5, 0); // the third logit is −∞
        float[] q = logits(0.25, 0.25, 0.5);
        assertThat(at(new ForwardKl(), 1, p, q)).isCloseTo(LN2, within(TOL));
        assertThat(at(new ReverseKl(), 1, p, q)).isInfinite().isPositive();
        assertThat(at(new Tvd(), 1, p, q)).isCloseTo(0.5, within(TOL));
        // M = (0.375, 0.375, 0.25)
        double jsd = 0.5 * Math.log(0.5 / 0.375) + 0.5 * (0.5 * Math.log(0.25 / 0.375) + 0.5 * Math.log(0.5 / 0.25));
        assertThat(at(new Jsd(0.5), 1, p, q)).isCloseTo(jsd, within(TOL));
        // M = 0.1·p + 0.9·q = (0.275, 0.275, 0.45)
        assertThat(at(new SkewKl(0.1), 1, p, q)).isCloseTo(Math.log(0.5 / 0.275), within(TOL));
        // M = 0.1·q + 0.9·p = (0.475, 0.475, 0.05): finite although p has a zero
        assertThat(at(new SkewReverseKl(0.1), 1, p, q)).isCloseTo(0.5 * Math.log(0.25 / 0.475) + 0.5 * Math.log(10), within(TOL));
    }

    @Test
    void temperatureDividesBothLogits() {
        // at τ = 2, logits (2 ln 2, 0) give (2/3, 1/3) and (0, 2 ln 2) give (1/3, 2/3)
        float[] teacher = {(float) (2 * LN2), 0f};
        float[] student = {0f, (float) (2 * LN2)};
        assertThat(at(new ForwardKl(), 2, teacher, student)).isCloseTo(LN2 / 3, within(TOL));
        assertThat(at(new ReverseKl(), 2, teacher, student)).isCloseTo(LN2 / 3, within(TOL));
        assertThat(at(new Tvd(), 2, teacher, student)).isCloseTo(1.0 / 3, within(TOL));
        assertThat(at(new Jsd(0.5), 2, teacher, student))
                .isCloseTo(2.0 / 3 * Math.log(4.0 / 3) + 1.0 / 3 * Math.log(2.0 / 3), within(TOL));
        // at τ = ½, logits (ln 2 / 2, 0) give (2/3, 1/3) as well
        float[] half = {(float) (LN2 / 2), 0f};
        float[] halfStudent = {0f, (float) (LN2 / 2)};
        assertThat(at(new ForwardKl(), 0.5, half, halfStudent)).isCloseTo(LN2 / 3, within(TOL));
        // at τ = 1 the same logits are a different pair: (4/5, 1/5) vs (1/5, 4/5)
        assertThat(at(new ForwardKl(), 1, teacher, student)).isCloseTo(0.6 * Math.log(4), within(TOL));
    }

    @Test
    void hostReferenceAgreesWithTheHandValues() {
        double[] p = {0.8, 0.2};
        double[] q = {0.4, 0.6};
        assertThat(Reference.divergence(new ForwardKl(), p, q)).isCloseTo(0.8 * LN2 - 0.2 * LN3, within(1e-15));
        assertThat(Reference.divergence(new SkewReverseKl(0.1), p, q))
                .isCloseTo(0.4 * Math.log(0.4 / 0.76) + 0.6 * Math.log(0.6 / 0.24), within(1e-15));
    }
}
