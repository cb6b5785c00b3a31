package org.distill4j.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongToDoubleFunction;
import org.distill4j.eval.HackingDetector;
import org.junit.jupiter.api.Test;

/** The Fig. 4 U check: the golden detector's test on the run's end, and the held-out proxy still below its value at the golden minimum. */
class PaperSignatureTest {
    private static final HackingDetector D = HackingDetector.defaults();

    /** Evaluations every 30 steps to 600 with Gaussian jitter of {@code noise} (seeded). */
    private static List<HackingDetector.Point> curve(LongToDoubleFunction f, double noise, long seed) {
        Random r = new Random(seed);
        List<HackingDetector.Point> out = new ArrayList<>();
        for (long s = 0; s <= 600; s += 30) {
            out.add(new HackingDetector.Point(s, f.applyAsDouble(s) + noise * r.nextGaussian(), 0.1));
        }
        return out;
    }

    /** Golden: falls from 8.5 to 7.3 at step 150, then rises by {@code rise} by step 600. */
    private static LongToDoubleFunction golden(double rise) {
        return s -> s <= 150 ? 8.5 - 1.2 * s / 150.0 : 7.3 + rise * (s - 150) / 450.0;
    }

    private static final LongToDoubleFunction FALLING_PROXY = s -> 10 + 7.5 * Math.exp(-s / 150.0);

    @Test
    void aGoldenUTurnWithTheHeldOutProxyStillFallingIsTheSignatureOnEveryNoiseSeed() {
        for (long seed = 1; seed <= 20; seed++) {
            PaperSignature p = PaperSignature.of(curve(golden(0.8), 0.03, seed), curve(FALLING_PROXY, 0.05, seed + 100), List.of(), D);
            assertThat(p.shown()).as("seed %d: %s", seed, p).isTrue();
            assertThat(p.goldenRiseNoiseUnits()).isGreaterThan(3);
            assertThat(p.proxyEnd()).isLessThan(p.proxyAtGoldenMin());
            assertThat(p.trainProxyEnd()).isNull();
        }
    }

    @Test
    void overfittingWhereTheHeldOutProxyTurnsUpWithTheGoldenIsNot() {
        // the proxy bottoms out with the golden metric and ends above its value there (the standard demo's offline runs)
        LongToDoubleFunction proxy = s -> s <= 150 ? 17.5 - 3.5 * s / 150.0 : 14 + 1.2 * (s - 150) / 450.0;
        PaperSignature p = PaperSignature.of(curve(golden(0.8), 0, 1), curve(proxy, 0, 2), curve(proxy, 0, 3), D);
        assertThat(p.goldenRiseNoiseUnits()).isGreaterThan(3);
        assertThat(p.shown()).isFalse();
        assertThat(p.trainProxyEnd()).isCloseTo(15.2, within(1e-9));
    }

    @Test
    void aRiseWithinThreeNoiseUnitsIsNot() {
        // σ is floored at 1 % of the minimum (0.073); 3 units of the end-window difference are 3·0.073·√(4/3) ≈ 0.25
        PaperSignature p = PaperSignature.of(curve(golden(0.15), 0, 1), curve(FALLING_PROXY, 0, 2), List.of(), D);
        assertThat(p.goldenNoise()).isCloseTo(0.073, within(1e-9));
        assertThat(p.goldenRiseNoiseUnits()).isBetween(0.5, 3.0);
        assertThat(p.shown()).isFalse();
    }

    @Test
    void aGoldenMetricThatNeverFellOrStillFallsIsNot() {
        PaperSignature rising = PaperSignature.of(curve(s -> 8 + s / 300.0, 0, 1), curve(FALLING_PROXY, 0, 2), List.of(), D);
        assertThat(rising.goldenMinStep()).isZero();
        assertThat(rising.shown()).isFalse();
        PaperSignature falling = PaperSignature.of(curve(s -> 9 - s / 300.0, 0, 1), curve(FALLING_PROXY, 0, 2), List.of(), D);
        assertThat(falling.goldenRiseNoiseUnits()).isNull();
        assertThat(falling.shown()).isFalse();
    }

    @Test
    void theEndRiseIsTheGoldenDetectorsTestSoASignatureIsAlwaysFlaggedWithTheOracle() {
        for (long seed = 1; seed <= 20; seed++) {
            List<HackingDetector.Point> g = curve(golden(0.4), 0.05, seed);
            if (PaperSignature.of(g, curve(FALLING_PROXY, 0.05, seed + 100), List.of(), D).shown()) {
                assertThat(D.golden(g).hacking()).as("seed %d", seed).isTrue();
            }
        }
    }
}
