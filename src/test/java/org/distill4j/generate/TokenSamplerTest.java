package org.distill4j.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TokenSamplerTest {
    private static final float[] LOGITS = {2.0f, 1.0f, 0.5f, 0.0f, -1.0f, 3.0f, -0.5f, 1.5f};

    private static SamplingParams params(double t, int k, double p) {
        return new SamplingParams(t, k, p, 1, 1, 0, Set.of(), List.of());
    }

    @Test
    void topKKeepsExactlyTheKMostLikely() {
        double[] d = TokenSampler.distribution(LOGITS, params(1, 3, 1));
        // the three largest logits are at 5 (3.0), 0 (2.0), 7 (1.5)
        for (int i = 0; i < d.length; i++) {
            assertThat(d[i] > 0).as("token %d", i).isEqualTo(i == 5 || i == 0 || i == 7);
        }
        double z = Math.exp(3) + Math.exp(2) + Math.exp(1.5);
        assertThat(d[5]).isCloseTo(Math.exp(3) / z, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        double[] full = TokenSampler.distribution(LOGITS, params(1, 0, 1));
        // sorted: 5, 0, 7, 1, 2, 3, 6, 4. Choose p just above the mass of the first two.
        double two = full[5] + full[0];
        double[] d = TokenSampler.distribution(LOGITS, params(1, 0, two + 1e-9));
        for (int i = 0; i < d.length; i++) {
            assertThat(d[i] > 0).as("token %d", i).isEqualTo(i == 5 || i == 0 || i == 7);
        }
        double[] exact = TokenSampler.distribution(LOGITS, params(1, 0, two - 1e-9));
        for (int i = 0; i < d.length; i++) {
            assertThat(exact[i] > 0).as("token %d", i).isEqualTo(i == 5 || i == 0);
        }
    }

    @Test
    void temperatureSharpensAndGreedyIsArgmax() {
        double[] hot = TokenSampler.distribution(LOGITS, params(2, 0, 1));
        double[] cold = TokenSampler.distribution(LOGITS, params(0.5, 0, 1));
        assertThat(cold[5]).isGreaterThan(hot[5]);
        assertThat(TokenSampler.draw(LOGITS, 0, LOGITS.length, params(0, 0, 1), new SplittableRandom(1)).token()).isEqualTo(5);
    }

    @Test
    void truncatedSamplingMatchesItsDistribution() {
        SamplingParams p = params(0.8, 4, 0.9);
        double[] d = TokenSampler.distribution(LOGITS, p);
        int[] counts = new int[LOGITS.length];
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < 50000; i++) {
            counts[TokenSampler.draw(LOGITS, 0, LOGITS.length, p, rng).token()]++;
        }
        for (int i = 0; i < d.length; i++) {
            if (d[i] == 0) {
                assertThat(counts[i]).isZero();
            }
        }
        assertThat(ChiSquare.pValue(counts, d)).isGreaterThan(0.001);
    }
}
