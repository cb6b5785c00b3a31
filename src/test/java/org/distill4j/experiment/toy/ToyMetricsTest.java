package org.distill4j.experiment.toy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ToyMetricsTest {

    private static double[] log(double... p) {
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = Math.log(p[i]);
        }
        return out;
    }

    @Test
    void klOfADistributionWithItselfIsZero() {
        double[] p = log(0.1, 0.2, 0.3, 0.4);
        assertThat(ToyMetrics.kl(p, p)).isEqualTo(0.0);
    }

    @Test
    void klMatchesTheBernoulliClosedForm() {
        double a = 0.3;
        double b = 0.6;
        double expected = a * Math.log(a / b) + (1 - a) * Math.log((1 - a) / (1 - b));
        assertThat(ToyMetrics.kl(log(a, 1 - a), log(b, 1 - b))).isCloseTo(expected, within(1e-15));
    }

    @Test
    void klFromAPointMassIsMinusLogOfTheOtherProbability() {
        // KL(δ_c ‖ q) = −log q(c); classes with zero mass in the first argument contribute nothing
        double[] q = log(0.1, 0.2, 0.7);
        double[] delta = {Double.NEGATIVE_INFINITY, 0.0, Double.NEGATIVE_INFINITY};
        assertThat(ToyMetrics.kl(delta, q)).isCloseTo(-Math.log(0.2), within(1e-15));
    }

    @Test
    void klToTheUniformIsLogKMinusEntropy() {
        double[] p = log(0.5, 0.25, 0.125, 0.125);
        double[] u = log(0.25, 0.25, 0.25, 0.25);
        assertThat(ToyMetrics.kl(p, u)).isCloseTo(Math.log(4) - ToyMetrics.entropy(p), within(1e-15));
    }

    @Test
    void entropyClosedForms() {
        double[] uniform = new double[10];
        java.util.Arrays.fill(uniform, Math.log(0.1));
        assertThat(ToyMetrics.entropy(uniform)).isCloseTo(Math.log(10), within(1e-14));
        assertThat(ToyMetrics.entropy(log(0.5, 0.25, 0.125, 0.125))).isCloseTo(1.75 * Math.log(2), within(1e-15));
        assertThat(ToyMetrics.entropy(new double[] {0.0, Double.NEGATIVE_INFINITY})).isEqualTo(0.0);
    }

    @Test
    void windowMassCountsEachClassOnceAndPicksTheBestMode() {
        // classes 0..5, modes at 1 and 3: windows {0,1,2} and {2,3,4} overlap on class 2
        double[] p = log(0.05, 0.1, 0.2, 0.4, 0.15, 0.1);
        double[] modes = {1, 3};
        assertThat(ToyMetrics.windowMass(p, modes)).isCloseTo(0.9, within(1e-12));
        ToyMetrics m = ToyMetrics.of(p, p, modes);
        assertThat(m.bestMode()).isEqualTo(1);
        assertThat(m.bestModeMass()).isCloseTo(0.75, within(1e-12));
        assertThat(m.forwardKl()).isEqualTo(0.0);
        assertThat(m.reverseKl()).isEqualTo(0.0);
    }

    @Test
    void nonIntegerModeWindowsUseDistanceAtMostOne() {
        double[] p = log(0.1, 0.2, 0.3, 0.4);
        // mode at 1.5: classes 1 and 2 are within ±1 (0.5 and 2.5 are not classes)
        assertThat(ToyMetrics.windowMass(p, new double[] {1.5})).isCloseTo(0.5, within(1e-12));
    }
}
