package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link GroupAdvantage} against torch.std-based fixtures, its invariants and its edge cases. */
class GroupAdvantageTest {
    @Test
    void matchesTorchIncludingEqualAndSingleGroups() {
        JsonNode fx = GadTestSupport.fixture("group_advantage.json");
        JsonNode rewards = fx.get("rewards");
        float[][] in = new float[rewards.size()][];
        for (int g = 0; g < in.length; g++) {
            double[] row = GadTestSupport.flat(rewards.get(g));
            in[g] = new float[row.length];
            for (int i = 0; i < row.length; i++) {
                in[g][i] = (float) row[i];
            }
        }
        float[][] out = GroupAdvantage.of(in, fx.get("eps").asDouble());
        assertThat(out.length).isEqualTo(in.length);
        for (int g = 0; g < in.length; g++) {
            double[] expected = GadTestSupport.flat(fx.get("advantages").get(g));
            double[] got = new double[out[g].length];
            for (int i = 0; i < got.length; i++) {
                got[i] = out[g][i];
            }
            GadTestSupport.assertClose(got, expected, DataType.FLOAT32, "group " + g);
        }
        assertThat(out[1]).containsOnly(0f);
        assertThat(out[2]).containsExactly(0f);
    }

    @Test
    void allEqualRewardsGiveExactlyZeroWhateverTheValue() {
        // 0.1f·n/n is not 0.1f again in general: the special case must not depend on exact arithmetic
        for (float r : new float[] {0.1f, -3.3f, 1e30f, 0f}) {
            for (int n : new int[] {2, 3, 7, 8}) {
                float[] group = new float[n];
                Arrays.fill(group, r);
                for (double eps : new double[] {1e-6, 0}) {
                    assertThat(GroupAdvantage.of(new float[][] {group}, eps)[0]).as("r=%s n=%d eps=%s", r, n, eps).containsOnly(0f);
                }
            }
        }
    }

    @Test
    void aLoneSampleGetsZeroAndAnEmptyGroupStaysEmpty() {
        float[][] out = GroupAdvantage.of(new float[][] {{42f}, {}, {1f, 3f}});
        assertThat(out[0]).containsExactly(0f);
        assertThat(out[1]).isEmpty();
        // two samples: ±1/(√2 + ε), √2 being the unbiased std of {1, 3}
        assertThat(out[2][0]).isCloseTo((float) (-1 / Math.sqrt(2)), offset(1e-6f));
        assertThat(out[2][1]).isCloseTo((float) (1 / Math.sqrt(2)), offset(1e-6f));
    }

    @Test
    void normalisedGroupsHaveZeroMeanAndUnitSampleStd() {
        Random rng = new Random(3);
        float[][] rewards = new float[5][8];
        for (float[] g : rewards) {
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) (10 + 3 * rng.nextGaussian());
            }
        }
        for (float[] a : GroupAdvantage.of(rewards)) {
            double mean = 0;
            for (float x : a) {
                mean += x;
            }
            mean /= a.length;
            double ss = 0;
            for (float x : a) {
                ss += (x - mean) * (x - mean);
            }
            assertThat(mean).isCloseTo(0, offset(1e-6));
            assertThat(Math.sqrt(ss / (a.length - 1))).isCloseTo(1, offset(1e-5)); // ε/std ≈ 3e-7
        }
    }

    @Test
    void nearlyEqualRewardsStayFinite() {
        float[] g = {1f, Math.nextUp(1f), 1f, 1f};
        float[] a = GroupAdvantage.of(new float[][] {g}, 0)[0];
        for (float x : a) {
            assertThat(Float.isFinite(x)).isTrue();
        }
        assertThat(a[1]).isCloseTo(1.5f, offset(1e-5f)); // (3δ/4) / (δ/2): the unbiased std of {0, δ, 0, 0} is δ/2
    }

    @Test
    void defaultEpsIsTheRecipes() {
        float[][] r = {{0.3f, -1.2f, 2.5f}};
        assertThat(GroupAdvantage.of(r)).isDeepEqualTo(GroupAdvantage.of(r, 1e-6));
        assertThat(GroupAdvantage.DEFAULT_EPS).isEqualTo(1e-6);
    }

    @Test
    void nonFiniteRewardsNameTheGroupAndIndex() {
        assertThatThrownBy(() -> GroupAdvantage.of(new float[][] {{1, 2}, {0, 1, Float.NaN}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reward 2 of group 1");
        assertThatThrownBy(() -> GroupAdvantage.of(new float[][] {{Float.NEGATIVE_INFINITY}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reward 0 of group 0");
        assertThatThrownBy(() -> GroupAdvantage.of(new float[][] {{1}}, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GroupAdvantage.of(new float[][] {{1}}, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
