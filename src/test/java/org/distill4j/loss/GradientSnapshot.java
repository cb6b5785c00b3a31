package org.distill4j.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.lm.Transformer;

/** The gradients of a model's parameters, taken (and zeroed) after a backward pass, for comparing two ways of computing them. */
public final class GradientSnapshot {
    private GradientSnapshot() {}

    /** Reads and zeroes the gradient of every parameter. */
    public static Map<String, float[]> take(Transformer model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var e : model.parameters().entrySet()) {
            NDArray g = e.getValue().getGradient();
            out.put(e.getKey(), g.toFloatArray());
            g.subi(g);
            g.close();
        }
        return out;
    }

    /**
     * Every parameter's gradient is non-zero in {@code want} and {@code got} matches it entry by entry within
     * {@code relative} × the largest entry of that parameter's gradient.
     */
    public static void assertClose(Map<String, float[]> want, Map<String, float[]> got, double relative) {
        assertThat(got.keySet()).isEqualTo(want.keySet());
        for (String name : want.keySet()) {
            float[] w = want.get(name);
            float[] g = got.get(name);
            double scale = 0;
            for (float v : w) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertThat(scale).as("gradient of %s is not all zero", name).isGreaterThan(0);
            for (int i = 0; i < w.length; i++) {
                assertThat((double) g[i]).as("%s[%d]", name, i).isCloseTo(w[i], within(relative * scale));
            }
        }
    }
}
