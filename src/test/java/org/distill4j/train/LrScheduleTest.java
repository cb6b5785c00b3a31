package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
    private static final double PEAK = 3e-4;
    private static final double FINAL = 3e-5;

    @Test
    void warmupCosineAtKeySteps() {
        LrSchedule s = LrSchedule.warmupCosine(PEAK, FINAL, 100, 1100);
        assertThat(s.lr(0)).isEqualTo(0.0);
        assertThat(s.lr(50)).isCloseTo(PEAK / 2, within(1e-15));
        assertThat(s.lr(100)).isEqualTo(PEAK); // end of warmup: cos(0) = 1 exactly
        assertThat(s.lr(600)).isCloseTo((PEAK + FINAL) / 2, within(1e-15)); // halfway through the decay
        assertThat(s.lr(350)).isCloseTo(FINAL + (PEAK - FINAL) * 0.5 * (1 + Math.cos(Math.PI / 4)), within(1e-15));
        assertThat(s.lr(1099)).isCloseTo(FINAL + (PEAK - FINAL) * 0.5 * (1 + Math.cos(Math.PI * 999 / 1000)), within(1e-15));
        assertThat(s.lr(1100)).isEqualTo(FINAL);
        assertThat(s.lr(5000)).isEqualTo(FINAL);
    }

    @Test
    void warmupStartsAtTheConfiguredRate() {
        LrSchedule s = new LrSchedule.WarmupCosine(1e-5, 1e-3, 0, 10, 20);
        assertThat(s.lr(0)).isEqualTo(1e-5);
        assertThat(s.lr(5)).isCloseTo(1e-5 + (1e-3 - 1e-5) / 2, within(1e-15));
        assertThat(s.lr(10)).isEqualTo(1e-3);
        assertThat(s.lr(20)).isEqualTo(0.0);
    }

    @Test
    void isMonotoneUpThenDown() {
        LrSchedule s = LrSchedule.warmupCosine(1.0, 0.1, 7, 50);
        for (long i = 0; i < 7; i++) {
            assertThat(s.lr(i + 1)).isGreaterThan(s.lr(i));
        }
        for (long i = 7; i < 50; i++) {
            assertThat(s.lr(i + 1)).isLessThan(s.lr(i));
        }
    }

    @Test
    void edgeCasesOfThePhases() {
        LrSchedule noWarmup = LrSchedule.warmupCosine(PEAK, FINAL, 0, 10);
        assertThat(noWarmup.lr(0)).isEqualTo(PEAK);
        LrSchedule noDecay = LrSchedule.warmupCosine(PEAK, FINAL, 10, 10);
        assertThat(noDecay.lr(9)).isCloseTo(PEAK * 0.9, within(1e-15));
        assertThat(noDecay.lr(10)).isEqualTo(FINAL);
    }

    @Test
    void constant() {
        LrSchedule s = LrSchedule.constant(1e-4);
        assertThat(s.lr(0)).isEqualTo(1e-4);
        assertThat(s.lr(1_000_000)).isEqualTo(1e-4);
    }

    @Test
    void rejectsInvalidSettings() {
        assertThatThrownBy(() -> LrSchedule.warmupCosine(PEAK, FINAL, 10, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LrSchedule.warmupCosine(-1, FINAL, 0, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LrSchedule.warmupCosine(Double.NaN, FINAL, 0, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LrSchedule.constant(Double.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LrSchedule.warmupCosine(PEAK, FINAL, 0, 5).lr(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
