package org.distill4j.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MomentsTest {
    @Test
    void meanAndBothStandardDeviationsMatchTheirClosedForms() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum to 32
        Moments m = Moments.of(new double[] {2, 4, 4, 4, 5, 5, 7, 9});
        assertThat(m.count()).isEqualTo(8);
        assertThat(m.mean()).isEqualTo(5.0);
        assertThat(m.populationStd()).isCloseTo(2.0, within(1e-15));
        assertThat(m.sampleStd()).isCloseTo(Math.sqrt(32.0 / 7), within(1e-15));
        assertThat(Moments.of(new float[] {2, 4, 4, 4, 5, 5, 7, 9})).isEqualTo(m);
    }

    @Test
    void oneValueHasNoSpreadAndNoValuesHaveNoMean() {
        assertThat(Moments.of(new double[] {3})).isEqualTo(new Moments(1, 3, 0, 0));
        assertThat(Moments.of(new double[0]).mean()).isNaN();
    }
}
