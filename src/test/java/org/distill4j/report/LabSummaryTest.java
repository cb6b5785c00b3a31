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

    @Test
    void aRunEndingWithBothMetricsStillFallingIsUndeterminedInSummaryJson() {
        List<com.fasterxml.jackson.databind.JsonNode> rows = new ArrayList<>();
        for (long s = 0; s <= 200; s += 25) {
            var r = org.distill4j.util.Json.object();
            r.put("step", s);
            r.put("proxy_fkl", 8.0 * Math.pow(Math.max(s, 6), -0.4));
            r.put("golden_fkl", 12 - 0.02 * s);
            rows.add(r);
            if (s == 0) { // the lab's early evaluations at a quarter and a half of the interval
                for (long e : new long[] {6, 12}) {
                    var early = org.distill4j.util.Json.object();
                    early.put("step", e);
                    early.put("proxy_fkl", 8.0 * Math.pow(e, -0.4));
                    early.put("golden_fkl", 12 - 0.02 * e);
                    rows.add(early);
                }
            }
        }
        LabSummary summary = LabSummary.of(java.util.Map.of("online-teacher", List.of(new RunCurves("online-teacher", 1, rows))),
                HackingDetector.defaults());
        LabSummary.Variant v = summary.variants().get("online-teacher");
        assertThat(v.flaggedWithoutOracle()).isEqualTo("0/1");
        assertThat(v.undeterminedWithoutOracle()).isEqualTo("1/1");
        assertThat(v.undeterminedWithOracle()).isEqualTo("1/1");
        var json = org.distill4j.util.Json.MAPPER.valueToTree(summary);
        assertThat(json.path("online-teacher").path("seeds").get(0).path("verdict_without_oracle").asText())
                .isEqualTo("undetermined: the student is still improving");
        assertThat(json.path("online-teacher").path("undetermined_with_oracle").asText()).isEqualTo("1/1");
        assertThat(summary.verdictLines()).containsExactly(
                "online-teacher  without oracle: 0/1 hacking, 1/1 undetermined; with oracle: 0/1 hacking, 1/1 undetermined; Fig. 4 U: 0/1",
                "detector without the oracle: 0 of 0 runs whose golden metric rose detected, 0 false alarms in 1 runs whose golden "
                        + "metric did not rise");
    }
}
