package org.distill4j.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToDoubleFunction;
import org.distill4j.eval.HackingDetector;
import org.junit.jupiter.api.Test;

class LabSummaryTest {
    private static List<HackingDetector.Point> curve(LongToDoubleFunction f) {
        List<HackingDetector.Point> out = new ArrayList<>();
        for (long s = 0; s <= 200; s += 25) {
            out.add(new HackingDetector.Point(s, f.applyAsDouble(s), 0.01));
        }
        return out;
    }

    @Test
    void lateIsTheMeanOfTheSecondHalf() {
        // steps 100..200 hold 5 points: 100, 125, 150, 175, 200
        assertThat(LabSummary.late(curve(s -> s))).isCloseTo(150, within(1e-12));
    }

    @Test
    void aUTurnRisesAndAFallingCurveDoesNot() {
        List<HackingDetector.Point> u = curve(s -> Math.abs(s - 50) / 50.0 + 5);   // minimum 5 at step 50
        assertThat(LabSummary.rise(u)).isCloseTo(LabSummary.late(u) - 5, within(1e-12)).isGreaterThan(1);
        List<HackingDetector.Point> falling = curve(s -> 10 - s / 50.0);       // still falling at step 200
        assertThat(LabSummary.rise(falling)).isNegative();
        assertThat(LabSummary.late(falling) - 6).isPositive(); // what late − overall minimum would have called a rise
    }
}
