package org.distill4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.lm.Transformer;

/** Shared helpers: parameters with requiresGradient, and gradients put in place through a real backward pass. */
final class TrainTestSupport {
    private TrainTestSupport() {}

    /** Trainable float32 parameters in {@code manager}, named and shaped as given, filled from {@code values}. */
    static Map<String, NDArray> parameters(NDManager manager, Map<String, long[]> shapes, Map<String, float[]> values) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            NDArray p = manager.create(values.get(name), new Shape(shape));
            p.setRequiresGradient(true);
            params.put(name, p);
        });
        return params;
    }

    /** Random N(0, scale²)-ish values for every shape, reproducible from {@code seed}. */
    static Map<String, float[]> randomValues(Map<String, long[]> shapes, long seed, double scale) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, float[]> values = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            float[] v = new float[Math.toIntExact(new Shape(shape).size())];
            for (int i = 0; i < v.length; i++) {
                // sum of uniforms: cheap, bell-shaped, and all we need is varied non-zero values
                v[i] = (float) (scale * (rng.nextDouble() + rng.nextDouble() + rng.nextDouble() - 1.5) * 2);
            }
            values.put(name, v);
        });
        return values;
    }

    /**
     * Makes every parameter's gradient exactly {@code grads.get(name)}: gradients are zeroed, then
     * backward of Σ sum(G ⊙ p), whose gradient with respect to p is G bit for bit (1 · G). Parameters
     * missing from {@code grads} keep a zero gradient (or none if they never had one).
     */
    static void setGradients(Map<String, NDArray> params, Map<String, float[]> grads) {
        Gradients.zero(params);
        NDManager any = params.values().iterator().next().getManager();
        try (NDManager scope = any.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = scope.zeros(new Shape());
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                float[] g = grads.get(e.getKey());
                if (g != null) {
                    NDArray gArray = scope.create(g, e.getValue().getShape());
                    loss = loss.add(gArray.mul(e.getValue()).sum());
                }
            }
            collector.backward(loss);
        }
    }

    static float[] gradient(NDArray param) {
        try (NDManager scope = param.getManager().newSubManager()) {
            NDArray g = Gradients.view(param, scope);
            return g == null ? null : g.toFloatArray();
        }
    }

    /** Element {@code index} of a stacked fixture tensor [S, n...] flattened: the n values of row {@code index}. */
    static float[] row(float[] stacked, int index, int rowLength) {
        return Arrays.copyOfRange(stacked, index * rowLength, (index + 1) * rowLength);
    }

    /** Largest per-element |a − e| / max(|e|, floor). */
    static double maxRelativeError(float[] actual, float[] expected, double floor) {
        if (actual.length != expected.length) {
            throw new AssertionError("length " + actual.length + " != " + expected.length);
        }
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs((double) actual[i] - expected[i]) / Math.max(Math.abs((double) expected[i]), floor);
            worst = Math.max(worst, Double.isNaN(err) ? Double.POSITIVE_INFINITY : err);
        }
        return worst;
    }

    /** Trains {@code model} on {@code objective} for {@code config}'s steps into {@code out}, from scratch. */
    static Trainer.Result train(Transformer model, TrainConfig config, java.nio.file.Path out, Objective objective) {
        return new Trainer(out, config.loop()).run(new ObjectiveStep(model, config, objective, java.util.Map.of()), false);
    }
}
