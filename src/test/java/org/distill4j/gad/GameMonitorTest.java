package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.util.Json;
import org.junit.jupiter.api.Test;

/** The game monitor's rules on metrics rows made to order (real runs: {@link GameMonitorRunTest}). */
class GameMonitorTest {
    private static final GameMonitor.Thresholds T = GameMonitor.Thresholds.defaults();

    private static ObjectNode row(long step, String phase, double dAcc, double len, double rep) {
        ObjectNode r = Json.object();
        r.put("step", step);
        r.put("phase", phase);
        r.put("d_acc", dAcc);
        r.put("sample_len", len);
        r.put("sample_repetition", rep);
        if (phase.equals("gad") || phase.equals("grpo-frozen-d")) {
            r.put("pg_loss", 0.01); // what marks a policy-gradient row
        }
        return r;
    }

    /** gad: 10 warmup rows (2 of them D alone) at d_acc 0.6, length 30, repetition 0.1, then 40 GRPO rows from {@code game}(step). */
    private static List<JsonNode> run(java.util.function.LongFunction<double[]> game) {
        List<JsonNode> rows = new ArrayList<>();
        rows.add(row(0, "warmup-d", Double.NaN, Double.NaN, Double.NaN)); // the start row has no rollout values
        for (long s = 1; s <= 10; s++) {
            rows.add(row(s, s <= 2 ? "warmup-d" : "warmup", 0.6, 30, 0.1));
        }
        for (long s = 11; s <= 50; s++) {
            double[] x = game.apply(s);
            rows.add(row(s, "gad", x[0], x[1], x[2]));
        }
        return rows;
    }

    private static List<GameMonitor.Alarm> alarms(List<JsonNode> rows) {
        GameMonitor m = new GameMonitor(T, false);
        rows.forEach(m::test);
        return m.alarms();
    }

    @Test
    void aBalancedGameWithNoisyBatchesIsSilent() {
        // single batches reach 0.05 and 0.99, lengths ±20 %, repetition +0.08: nothing sustained
        assertThat(alarms(run(s -> new double[] {s % 2 == 0 ? 0.99 : 0.2, s % 2 == 0 ? 36 : 25, s % 5 == 0 ? 0.18 : 0.1}))).isEmpty();
    }

    @Test
    void aFooledDiscriminatorFiresWhenItsAccuracyStaysLow() {
        List<GameMonitor.Alarm> a = alarms(run(s -> new double[] {s > 30 ? 0.02 : 0.6, 30, 0.1}));
        assertThat(a).extracting(GameMonitor.Alarm::signal).containsExactly("d_acc");
        // the mean of the last 10 rows reaches 0.1 once 9 of them are at 0.02: 0.9·0.02 + 0.1·0.6 = 0.078 at step 39
        assertThat(a.get(0).step()).isEqualTo(39);
        assertThat(a.get(0).reason()).contains("fooled");
    }

    @Test
    void aDiscriminatorThatWinsEveryPairFires() {
        assertThat(alarms(run(s -> new double[] {1.0, 30, 0.1}))).extracting(GameMonitor.Alarm::reason)
                .singleElement().asString().contains("wins every pair");
    }

    @Test
    void lengthAndRepetitionDriftFromTheWarmupLevelFire() {
        List<GameMonitor.Alarm> longer = alarms(run(s -> new double[] {0.6, s > 20 ? 50 : 30, 0.1}));
        assertThat(longer).extracting(GameMonitor.Alarm::signal).containsExactly("sample_len");
        List<GameMonitor.Alarm> shorter = alarms(run(s -> new double[] {0.6, 15, 0.1}));
        assertThat(shorter).extracting(GameMonitor.Alarm::signal).containsExactly("sample_len");
        List<GameMonitor.Alarm> loops = alarms(run(s -> new double[] {0.6, 30, 0.35}));
        assertThat(loops).extracting(GameMonitor.Alarm::signal).containsExactly("sample_repetition");
        // the warmup's level is its last rows: a warmup that ends at length 50 makes 50 normal
        GameMonitor m = new GameMonitor(T, false);
        for (long s = 1; s <= 20; s++) {
            m.test(row(s, "warmup", 0.6, s <= 10 ? 10 : 50, 0.1));
        }
        for (long s = 21; s <= 60; s++) {
            m.test(row(s, "gad", 0.6, 50, 0.1));
        }
        assertThat(m.alarms()).isEmpty();
    }

    @Test
    void eachSignalWarnsOnceAndStopModeStopsTheRun() {
        List<JsonNode> rows = run(s -> new double[] {0.0, 80, 0.9});
        GameMonitor warn = new GameMonitor(T, false);
        GameMonitor stop = new GameMonitor(T, true);
        long stoppedAt = -1;
        for (JsonNode r : rows) {
            assertThat(warn.test(r)).isTrue();
            if (!stop.test(r) && stoppedAt < 0) {
                stoppedAt = r.get("step").asLong();
            }
        }
        assertThat(warn.alarms()).extracting(GameMonitor.Alarm::signal).containsExactly("d_acc", "sample_len", "sample_repetition");
        assertThat(stoppedAt).isEqualTo(20); // the first full window of GRPO rows
    }

    @Test
    void theDiscriminatorsAccuracyAtTheEndOfTheWarmupIsItsHealth() {
        GameMonitor m = new GameMonitor(T, false);
        for (long s = 1; s <= 20; s++) {
            m.test(row(s, "warmup", s <= 10 ? 0.9 : 0.55, 30, 0.1));
        }
        assertThat(m.warmupDAcc()).isNaN(); // not known before the game starts
        m.test(row(21, "gad", 0.6, 30, 0.1));
        assertThat(m.warmupDAcc()).isCloseTo(0.55, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(m.warmupDAcc()).isLessThan(T.weakDiscriminator());
        assertThat(m.alarms()).isEmpty(); // a note, not an alarm
    }

    @Test
    void withoutAWarmupTheFirstWindowOfTheGameIsTheReference() {
        GameMonitor m = new GameMonitor(T, false);
        for (long s = 1; s <= 40; s++) {
            m.test(row(s, "gad", 0.6, s <= 10 ? 20 : 20 + s, 0.1));
        }
        assertThat(m.alarms()).extracting(GameMonitor.Alarm::signal).containsExactly("sample_len");
        assertThat(m.alarms().get(0).reason()).contains("vs 20.0");
    }

    @Test
    void frozenDsReferenceIsItsDiscriminatorPhaseAndReplayRestoresTheState() {
        List<JsonNode> rows = new ArrayList<>();
        for (long s = 1; s <= 10; s++) {
            ObjectNode r = Json.object();
            r.put("step", s);
            r.put("phase", "seqkd");
            r.put("ce_loss", 2.0); // no rollouts in SeqKD
            rows.add(r);
        }
        for (long s = 11; s <= 20; s++) {
            rows.add(row(s, "train-d", 0.6, 30, 0.1));
        }
        for (long s = 21; s <= 50; s++) {
            rows.add(row(s, "grpo-frozen-d", Math.max(0.6 - 0.03 * (s - 20), 0.01), 30 + (s - 20), 0.1 + 0.01 * (s - 20)));
        }
        GameMonitor live = new GameMonitor(T, false);
        rows.forEach(live::test);
        assertThat(live.alarms()).extracting(GameMonitor.Alarm::signal).contains("d_acc", "sample_len", "sample_repetition");
        // a resumed run replays the rows before its checkpoint and then sees the same alarms at the same steps
        GameMonitor resumed = new GameMonitor(T, false).replay(rows.subList(0, 35));
        rows.subList(35, rows.size()).forEach(resumed::test);
        assertThat(resumed.alarms()).isEqualTo(live.alarms());
    }
}
