package org.distill4j.loss;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/** Shared helpers: every divergence, random logits, and one loss evaluation with its gradient. */
final class LossTestSupport {
    private LossTestSupport() {}

    static final List<Divergence> ALL = List.of(new ForwardKl(), new ReverseKl(), new Jsd(0.5), new Jsd(0.1), new Jsd(0.9),
            new Jsd(0), new Jsd(1), new SkewKl(0.1), new SkewReverseKl(0.1), new Tvd());

    /** Divergences that stay finite when only the teacher gives some classes zero mass. */
    static final List<Divergence> FINITE_WITH_TEACHER_ZEROS = List.of(new ForwardKl(), new Jsd(0.5), new Jsd(0.1), new Jsd(0),
            new SkewKl(0.1), new SkewReverseKl(0.1), new Tvd());

    /** D at one position, teacher and student given as logits. */
    static double at(NDManager base, Divergence d, double temperature, float[] teacherLogits, float[] studentLogits) {
        try (NDManager m = base.newSubManager()) {
            Shape shape = new Shape(1, 1, teacherLogits.length);
            return new DistillationLoss(d, temperature)
                    .perToken(m.create(studentLogits, shape), m.create(teacherLogits, shape)).getFloat();
        }
    }

    static float[] randomLogits(Random rng, int n, double scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (scale * rng.nextGaussian());
        }
        return out;
    }

    static double[] widen(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    /** A scalar loss and its gradient w.r.t. the student logits. */
    record Evaluated(float value, float[] gradient) {}

    /**
     * Evaluates {@code loss} on fresh arrays made from {@code student}/{@code teacher} [shape] and
     * {@code mask} [B, T] and backpropagates it into the student logits.
     */
    static Evaluated evaluate(NDManager base, float[] student, float[] teacher, float[] mask, Shape shape,
                              Function<Inputs, NDArray> loss) {
        try (NDManager m = base.newSubManager()) {
            NDArray s = m.create(student, shape);
            s.setRequiresGradient(true);
            NDArray t = m.create(teacher, shape);
            NDArray k = m.create(mask, new Shape(shape.get(0), shape.get(1)));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray value = loss.apply(new Inputs(s, t, k));
                gc.backward(value);
                return new Evaluated(value.getFloat(), s.getGradient().toFloatArray());
            }
        }
    }

    record Inputs(NDArray student, NDArray teacher, NDArray mask) {}

    static boolean allFinite(float[] a) {
        for (float x : a) {
            if (!Float.isFinite(x)) {
                return false;
            }
        }
        return true;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float x : a) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
