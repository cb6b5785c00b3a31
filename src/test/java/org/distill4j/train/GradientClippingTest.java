package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GradientClippingTest {
    private static final Map<String, long[]> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("a.weight", new long[] {2, 2});
        SHAPES.put("a.bias", new long[] {2});
    }

    private NDManager manager;
    private Map<String, NDArray> params;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        params = TrainTestSupport.parameters(manager, SHAPES, TrainTestSupport.randomValues(SHAPES, 1, 1));
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Gradients whose global norm is exactly 5: (3, 0, 0, 0) and (0, 4). */
    private void setNormFiveGradients() {
        TrainTestSupport.setGradients(params, Map.of("a.weight", new float[] {3, 0, 0, 0}, "a.bias", new float[] {0, 4}));
    }

    @Test
    void totalNormIsTheNormOfAllGradientsTogether() {
        setNormFiveGradients();
        assertThat(GradientClipping.totalNorm(params)).isEqualTo(5f);
    }

    @Test
    void leavesGradientsUntouchedUnderTheLimit() {
        setNormFiveGradients();
        assertThat(GradientClipping.clipByGlobalNorm(params, 5.5)).isEqualTo(5f);
        assertThat(TrainTestSupport.gradient(params.get("a.weight"))).containsExactly(3, 0, 0, 0);
        assertThat(TrainTestSupport.gradient(params.get("a.bias"))).containsExactly(0, 4);
    }

    @Test
    void scalesGradientsToTheLimitAboveIt() {
        setNormFiveGradients();
        assertThat(GradientClipping.clipByGlobalNorm(params, 1.0)).isEqualTo(5f);
        float coef = (1f / (5f + 1e-6f)) * 1f;
        assertThat(TrainTestSupport.gradient(params.get("a.weight"))).containsExactly(3 * coef, 0, 0, 0);
        assertThat(TrainTestSupport.gradient(params.get("a.bias"))).containsExactly(0, 4 * coef);
        assertThat(GradientClipping.totalNorm(params)).isCloseTo(1f, within(1e-6f));
    }

    @Test
    void ignoresParametersWithoutGradient() {
        NDArray frozen = manager.create(new float[] {100, 100});
        Map<String, NDArray> withFrozen = new LinkedHashMap<>(params);
        withFrozen.put("frozen.weight", frozen);
        setNormFiveGradients();
        assertThat(GradientClipping.totalNorm(withFrozen)).isEqualTo(5f);
        assertThat(GradientClipping.totalNorm(Map.of())).isEqualTo(0f);
    }

    @Test
    void reportsNonFiniteGradientsAndLeavesThemAlone() {
        TrainTestSupport.setGradients(params, Map.of("a.weight", new float[] {3, 0, 0, 0}, "a.bias", new float[] {Float.NaN, 4}));
        assertThat(Gradients.firstNonFinite(params)).contains("a.bias");
        assertThat(GradientClipping.clipByGlobalNorm(params, 1.0)).isNaN();
        assertThat(TrainTestSupport.gradient(params.get("a.weight"))).containsExactly(3, 0, 0, 0);

        TrainTestSupport.setGradients(params, Map.of("a.weight", new float[] {Float.NEGATIVE_INFINITY, 0, 0, 0}, "a.bias", new float[] {0, 4}));
        assertThat(Gradients.firstNonFinite(params)).contains("a.weight");
        assertThat(GradientClipping.clipByGlobalNorm(params, 1.0)).isInfinite();

        setNormFiveGradients(); // zeroing fills, so the NaN and Inf are gone
        assertThat(Gradients.firstNonFinite(params)).isEmpty();
    }

    @Test
    void leaksNoArrays() {
        setNormFiveGradients();
        int before = manager.getManagedArrays().size();
        for (int i = 0; i < 50; i++) {
            GradientClipping.clipByGlobalNorm(params, 1.0);
            GradientClipping.totalNorm(params);
            Gradients.firstNonFinite(params);
        }
        assertThat(manager.getManagedArrays()).hasSize(before);
    }
}
