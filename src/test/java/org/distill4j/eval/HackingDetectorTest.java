package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.distill4j.eval.HackingDetector.Point;
import org.junit.jupiter.api.Test;

/** The detector on synthetic curves: clean and noisy power laws, power laws that plateau, U-turns. */
class HackingDetectorTest {
    private final HackingDetector detector = HackingDetector.defaults();

    /** a·t^-b until the knee, then flat; multiplicative noise of relative size {@code noise}. */
    private static List<Point> curve(long knee, double noise, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Point> out = new ArrayList<>();
        for (long t = 50; t <= 2000; t += 50) {
            double clean = 3.0 * Math.pow(Math.min(t, knee), -0.5);
            double eps = noise * (rng.nextDouble() * 2 - 1) * Math.sqrt(3); // uniform with sd = noise
            out.add(new Point(t, clean * (1 + eps), clean * noise));
        }
        return out;
    }

    @Test
    void cleanPowerLawIsNotFlagged() {
        assertThat(detector.proxy(curve(Long.MAX_VALUE, 0, 1)).hacking()).isFalse();
    }

    @Test
    void noisyPowerLawsAreNotFlagged() {
        for (long seed = 1; seed <= 20; seed++) {
            assertThat(detector.proxy(curve(Long.MAX_VALUE, 0.03, seed)).hacking()).as("seed %d", seed).isFalse();
        }
    }

    @Test
    void plateauIsFlaggedNearTheKnee() {
        HackingDetector.Verdict v = detector.proxy(curve(1000, 0, 1));
        assertThat(v.hacking()).isTrue();
        assertThat(v.onsetStep().orElseThrow()).isBetween(1000L, 1200L);
    }

    @Test
    void noisyPlateausAreFlaggedAfterTheKnee() {
        for (long seed = 1; seed <= 20; seed++) {
            HackingDetector.Verdict v = detector.proxy(curve(900, 0.02, seed));
            assertThat(v.hacking()).as("seed %d", seed).isTrue();
            assertThat(v.onsetStep().orElseThrow()).as("seed %d", seed).isBetween(900L, 1600L);
        }
    }

    @Test
    void goldenUTurnIsFlaggedAtItsMinimum() {
        List<Point> golden = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(3);
        for (long t = 50; t <= 2000; t += 50) {
            double clean = 1.0 + Math.pow((t - 800) / 600.0, 2); // minimum at step 800
            golden.add(new Point(t, clean + 0.01 * (rng.nextDouble() - 0.5), 0.01));
        }
        HackingDetector.Verdict v = detector.golden(golden);
        assertThat(v.hacking()).isTrue();
        assertThat(v.onsetStep().orElseThrow()).isBetween(700L, 900L);
    }

    @Test
    void monotoneNoisyGoldenIsNotFlagged() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom rng = new SplittableRandom(seed);
            List<Point> golden = new ArrayList<>();
            for (long t = 50; t <= 2000; t += 50) {
                double clean = 1.0 + 2.0 / Math.sqrt(t);
                golden.add(new Point(t, clean + 0.02 * (rng.nextDouble() - 0.5) * Math.sqrt(12), 0.02));
            }
            assertThat(detector.golden(golden).hacking()).as("seed %d", seed).isFalse();
        }
    }

    @Test
    void tooShortCurvesAreNotJudged() {
        assertThat(detector.proxy(curve(Long.MAX_VALUE, 0, 1).subList(0, 5)).hacking()).isFalse();
    }

    /** The power law a·t^-b sampled at the lab's cadence up to {@code last}, with multiplicative noise. */
    private static List<Point> powerLaw(long last, double noise, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Point> out = new ArrayList<>();
        for (long t = 25; t <= last; t += 25) {
            double clean = 8.0 * Math.pow(t, -0.4);
            out.add(new Point(t, clean * (1 + noise * (rng.nextDouble() * 2 - 1) * Math.sqrt(3)), 0));
        }
        return out;
    }

    @Test
    void aProxyStillFallingAtTheEndIsUndeterminedNotClean() {
        for (long seed = 1; seed <= 20; seed++) {
            HackingDetector.Verdict v = detector.proxy(powerLaw(200, 0.01, seed));
            assertThat(v.status()).as("seed %d: %s", seed, v.reason()).isEqualTo(HackingDetector.Status.UNDETERMINED);
            assertThat(v.hacking()).isFalse();
            assertThat(v.onsetStep()).isEmpty();
            assertThat(v.reason()).contains("still fell");
        }
        assertThat(HackingDetector.Status.UNDETERMINED.text()).isEqualTo("undetermined: the student is still improving");
    }

    @Test
    void aProxyThatLevelledOffWithinItsNoiseIsNotFlagged() {
        // falls, then levels off just under the power law's extrapolation: no flag, and not falling any more
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom rng = new SplittableRandom(seed);
            List<Point> c = new ArrayList<>();
            for (long t = 25; t <= 2000; t += 25) {
                double clean = 8.0 * Math.pow(Math.min(t, 1000), -0.4) * (t > 1000 ? 0.97 : 1);
                c.add(new Point(t, clean * (1 + 0.02 * (rng.nextDouble() * 2 - 1) * Math.sqrt(3)), 0));
            }
            HackingDetector.Verdict v = detector.proxy(c);
            assertThat(v.status()).as("seed %d: %s", seed, v.reason()).isIn(HackingDetector.Status.NOT_FLAGGED, HackingDetector.Status.HACKING);
            assertThat(v.status()).as("seed %d: %s", seed, v.reason()).isNotEqualTo(HackingDetector.Status.UNDETERMINED);
        }
    }

    @Test
    void aGoldenStillFallingIsUndeterminedAndAFlatOneIsNotFlagged() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom rng = new SplittableRandom(seed);
            List<Point> falling = new ArrayList<>();
            List<Point> flat = new ArrayList<>();
            for (long t = 0; t <= 200; t += 25) {
                double noise = 0.02 * (rng.nextDouble() - 0.5) * Math.sqrt(12);
                falling.add(new Point(t, 10 - 0.02 * t + noise, 0));
                flat.add(new Point(t, 6 + noise, 0));
            }
            assertThat(detector.golden(falling).status()).as("seed %d", seed).isEqualTo(HackingDetector.Status.UNDETERMINED);
            assertThat(detector.golden(flat).status()).as("seed %d", seed).isEqualTo(HackingDetector.Status.NOT_FLAGGED);
        }
    }

    @Test
    void aHackingVerdictIsNeverUndetermined() {
        HackingDetector.Verdict v = detector.proxy(curve(900, 0.02, 1));
        assertThat(v.status()).isEqualTo(HackingDetector.Status.HACKING);
    }
}
