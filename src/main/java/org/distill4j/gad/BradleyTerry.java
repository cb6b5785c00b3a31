package org.distill4j.gad;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/**
 * GAD's discriminator loss: the Bradley–Terry preference loss with the teacher's response preferred
 * over each of the student's N samples for the same prompt,
 * L_D = mean over p, i of −log σ(t_p − s_{p,i}) (the paper's (1/N)·Σ_i, also averaged over prompts).
 *
 * <p>−log σ(t − s) is computed as softplus(s − t), which PyTorch evaluates without forming σ: a naive
 * log(sigmoid(·)) underflows to log 0 = −∞ once the margin is a few hundred (float32 σ(−100) is already a
 * denormal), while softplus stays exact and its gradient σ(s − t) stays in [0, 1].
 */
public final class BradleyTerry {
    private BradleyTerry() {}

    /**
     * The mean over all P·N pairs of −log σ(t_p − s_{p,i}); differentiable w.r.t. both inputs
     * (the discriminator scores both sides, so both carry its gradient).
     *
     * @param teacherScores [P], D(x_p, y_teacher)
     * @param studentScores [P, N], D(x_p, y_student^i), same type as the teacher scores
     * @return a scalar owned by the teacher scores' manager; it must live until backward()
     */
    public static NDArray loss(NDArray teacherScores, NDArray studentScores) {
        Shape pairs = checkShapes(teacherScores, studentScores);
        NDManager owner = teacherScores.getManager();
        try (NDManager scope = owner.newSubManager()) {
            // views owned by the scope (they keep their gradient), so no intermediate outlives the call
            NDArray teacher = own(scope, teacherScores.reshape(pairs.get(0), 1));
            NDArray student = own(scope, studentScores.reshape(pairs));
            return own(owner, Activation.softPlus(student.sub(teacher)).mean());
        }
    }

    /**
     * The discriminator's accuracy (the paper's d_acc): the fraction of pairs with t_p > s_{p,i}; a tie
     * counts ½, so a discriminator that scores everything alike sits at exactly 0.5. A pair with a NaN
     * score counts 0. No gradient is recorded.
     */
    public static double accuracy(NDArray teacherScores, NDArray studentScores) {
        Shape pairs = checkShapes(teacherScores, studentScores);
        double[] t = host(teacherScores);
        double[] s = host(studentScores);
        int n = Math.toIntExact(pairs.get(1));
        double wins = 0;
        for (int i = 0; i < s.length; i++) {
            double tp = t[i / n];
            wins += tp > s[i] ? 1 : tp == s[i] ? 0.5 : 0;
        }
        return wins / s.length;
    }

    /** The [P, N] pair shape, after checking teacher [P] and student [P, N] with P, N ≥ 1. */
    private static Shape checkShapes(NDArray teacherScores, NDArray studentScores) {
        Shape t = teacherScores.getShape();
        Shape s = studentScores.getShape();
        if (t.dimension() != 1 || s.dimension() != 2 || s.get(0) != t.get(0)) {
            throw new IllegalArgumentException("teacher scores must be [P] and student scores [P, N], got " + t + " and " + s);
        }
        if (s.size() == 0) {
            throw new IllegalArgumentException("no pairs to compare (student scores " + s + ")");
        }
        return s;
    }

    /** The values as doubles on the host, without leaving a copy in the array's manager. */
    private static double[] host(NDArray a) {
        try (NDManager scope = a.getManager().newSubManager()) {
            return own(scope, a.stopGradient()).toType(DataType.FLOAT64, false).toDoubleArray();
        }
    }

    /** Moves {@code a} into {@code manager} (ops put results in their first input's manager). */
    private static NDArray own(NDManager manager, NDArray a) {
        a.attach(manager);
        return a;
    }
}
