package org.distill4j.experiment.toy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GaussianStudentTest {

    @Test
    void probabilitiesAreNormalisedAndPeakAtTheMean() {
        GaussianStudent s = new GaussianStudent(10, 3.2, Math.log(1.3));
        double[] p = s.probs();
        assertThat(sum(p)).isCloseTo(1.0, within(1e-12));
        int argmax = 0;
        for (int c = 1; c < p.length; c++) {
            argmax = p[c] > p[argmax] ? c : argmax;
        }
        assertThat(argmax).isEqualTo(3);
    }

    @Test
    void narrowStudentStaysFiniteInLogSpace() {
        GaussianStudent s = new GaussianStudent(10, 2.0, GaussianStudent.MIN_LOG_SIGMA);
        double[] lp = s.logProbs();
        assertThat(lp[2]).isCloseTo(0.0, within(1e-12));
        for (double v : lp) {
            assertThat(v).isFinite();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "4.5, 1.0986, 0", "4.5, 1.0986, 7", "1.2, -0.3, 1", "1.2, -0.3, 4", "8.7, 0.4, 9", "-1.0, 0.9, 2", "5.0, -1.5, 5"
    })
    void logProbGradientMatchesFiniteDifferences(double mu, double logSigma, int y) {
        GaussianStudent s = new GaussianStudent(10, mu, logSigma);
        double[] g = s.gradLogProb(y);
        double h = 1e-6;
        double dMu = (new GaussianStudent(10, mu + h, logSigma).logProb(y)
                - new GaussianStudent(10, mu - h, logSigma).logProb(y)) / (2 * h);
        double dS = (new GaussianStudent(10, mu, logSigma + h).logProb(y)
                - new GaussianStudent(10, mu, logSigma - h).logProb(y)) / (2 * h);
        assertThat(g[0]).isCloseTo(dMu, within(1e-6 * Math.max(1, Math.abs(dMu))));
        assertThat(g[1]).isCloseTo(dS, within(1e-6 * Math.max(1, Math.abs(dS))));
    }

    @Test
    void expectedScoreIsZero() {
        // E_p[∇ log p] = 0: the identity REINFORCE's baseline subtraction relies on
        GaussianStudent s = new GaussianStudent(10, 3.7, Math.log(2.1));
        double[] p = s.probs();
        double[] mean = new double[2];
        for (int c = 0; c < 10; c++) {
            double[] g = s.gradLogProb(c);
            mean[0] += p[c] * g[0];
            mean[1] += p[c] * g[1];
        }
        assertThat(mean[0]).isCloseTo(0.0, within(1e-12));
        assertThat(mean[1]).isCloseTo(0.0, within(1e-12));
    }

    @Test
    void oneComponentTeacherIsExactlyAStudent() {
        MixtureTeacher t = new MixtureTeacher(10, List.of(new MixtureTeacher.Mode(2.0, 4.3, 0.8)));
        double[] pt = t.probs();
        double[] ps = new GaussianStudent(10, 4.3, Math.log(0.8)).probs();
        for (int c = 0; c < 10; c++) {
            assertThat(pt[c]).isCloseTo(ps[c], within(1e-12));
        }
    }

    @Test
    void mixtureWeightsAreRespectedForSeparatedModes() {
        MixtureTeacher t = new MixtureTeacher(10, List.of(
                new MixtureTeacher.Mode(0.25, 1, 0.4), new MixtureTeacher.Mode(0.75, 7, 0.4)));
        double[] p = t.probs();
        double left = p[0] + p[1] + p[2];
        double right = p[6] + p[7] + p[8];
        assertThat(left).isCloseTo(0.25, within(1e-4));
        assertThat(right).isCloseTo(0.75, within(1e-4));
    }

    @Test
    void samplingFollowsTheProbabilities() {
        GaussianStudent s = new GaussianStudent(10, 4.0, Math.log(1.5));
        double[] p = s.probs();
        int n = 200_000;
        int[] counts = new int[10];
        for (int y : s.sample(n, new SplittableRandom(42))) {
            counts[y]++;
        }
        for (int c = 0; c < 10; c++) {
            assertThat(counts[c] / (double) n).isCloseTo(p[c], within(0.005));
        }
    }

    @Test
    void logSigmaIsClampedNotRejected() {
        GaussianStudent s = new GaussianStudent(10, 4.0, 0.0).withParams(4.0, -40);
        assertThat(s.logSigma()).isEqualTo(GaussianStudent.MIN_LOG_SIGMA);
        assertThat(s.withParams(4.0, 40).logSigma()).isEqualTo(GaussianStudent.MAX_LOG_SIGMA);
    }

    private static double sum(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s;
    }
}
