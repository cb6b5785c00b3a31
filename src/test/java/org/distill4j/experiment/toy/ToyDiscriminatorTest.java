package org.distill4j.experiment.toy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ToyDiscriminatorTest {

    @Test
    void equalScoresCostLogTwo() {
        assertThat(ToyDiscriminator.btLoss(new double[] {0.3, 0.3}, 0, 1)).isCloseTo(Math.log(2), within(1e-15));
    }

    @Test
    void lossIsStableForLargeMargins() {
        assertThat(ToyDiscriminator.btLoss(new double[] {800, 0}, 0, 1)).isCloseTo(0.0, within(1e-300));
        assertThat(ToyDiscriminator.btLoss(new double[] {0, 800}, 0, 1)).isCloseTo(800.0, within(1e-9));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.05})
    void gradientMatchesFiniteDifferences(double decay) {
        double[] w = {0.4, -1.2, 2.0, 0.0, -0.3, 1.1};
        int[] teacherYs = {0, 2, 2, 5, 3, 1};
        int[] studentYs = {1, 1, 4, 5, 0, 3};
        double[] g = ToyDiscriminator.btGradient(w, teacherYs, studentYs, decay);
        double h = 1e-6;
        for (int c = 0; c < w.length; c++) {
            double[] plus = w.clone();
            double[] minus = w.clone();
            plus[c] += h;
            minus[c] -= h;
            double numeric = (ToyDiscriminator.meanLoss(plus, teacherYs, studentYs, decay)
                    - ToyDiscriminator.meanLoss(minus, teacherYs, studentYs, decay)) / (2 * h);
            assertThat(g[c]).as("class %d", c).isCloseTo(numeric, within(1e-8));
        }
    }

    @Test
    void trainingLearnsToPreferTeacherClasses() {
        ToyDiscriminator d = new ToyDiscriminator(4, 0.1, 0.0);
        int[] teacherYs = {0, 0, 1, 0};
        int[] studentYs = {3, 2, 3, 3};
        double first = d.train(teacherYs, studentYs);
        double last = first;
        for (int i = 0; i < 50; i++) {
            last = d.train(teacherYs, studentYs);
        }
        assertThat(last).isLessThan(first);
        assertThat(d.score(0)).isGreaterThan(d.score(3));
        assertThat(d.score(1)).isGreaterThan(d.score(2));
    }

    @Test
    void rejectsMismatchedPairs() {
        ToyDiscriminator d = new ToyDiscriminator(3, 0.1, 0.0);
        assertThatThrownBy(() -> d.train(new int[] {0, 1}, new int[] {2}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void groupNormalisedAdvantagesHaveZeroMeanAndUnitStd() {
        double[] a = ToyGadTrainer.groupNormalise(new double[] {1, 2, 3, 4, 10});
        double mean = 0;
        for (double v : a) {
            mean += v;
        }
        mean /= a.length;
        double var = 0;
        for (double v : a) {
            var += (v - mean) * (v - mean);
        }
        assertThat(mean).isCloseTo(0.0, within(1e-12));
        assertThat(Math.sqrt(var / a.length)).isCloseTo(1.0, within(1e-5));
    }

    @Test
    void identicalRewardsGiveZeroAdvantageNotNaN() {
        for (double v : ToyGadTrainer.groupNormalise(new double[] {2.5, 2.5, 2.5})) {
            assertThat(v).isEqualTo(0.0);
        }
    }
}
