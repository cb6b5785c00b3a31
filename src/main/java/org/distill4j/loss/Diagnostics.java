package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.util.Scalars;

/**
 * Distillation health metrics beyond the loss (after verl's), each a mean over valid tokens:
 * how far apart the two distributions are in both KL directions, and how much their top-k sets agree.
 * A student that matches the teacher's top tokens but not its tail shows high overlap and low
 * mass gaps with a still-large forward KL; a collapsing student shows its own top-k mass rising while
 * the teacher's mass on it falls.
 *
 * @param forwardKl                KL(p‖q) in nats per token
 * @param reverseKl                KL(q‖p) in nats per token (+∞ if the student puts mass where p = 0)
 * @param teacherMassOnStudentTopK Σ p over the student's k most likely tokens (NaN for a sparse
 *                                 teacher, which is known only on its own top-k)
 * @param studentMassOnTeacherTopK Σ q over the teacher's k most likely tokens
 * @param teacherTopKMass          Σ p over the teacher's own top-k: how much a top-k cache keeps
 * @param topKOverlap              |top-k(p) ∩ top-k(q)| / k
 * @param tokens                   Σ mask, the number of tokens averaged over
 * @param k                        the k of the top-k sets
 */
public record Diagnostics(double forwardKl, double reverseKl, double teacherMassOnStudentTopK,
                          double studentMassOnTeacherTopK, double teacherTopKMass, double topKOverlap,
                          double tokens, int k) {
    /**
     * Diagnostics against full teacher logits, at {@code temperature} (1 measures the models
     * themselves; the loss's τ measures what the loss sees). No gradient is recorded.
     *
     * @param studentLogits [B, T, V]
     * @param teacherLogits [B, T, V]
     * @param mask          float [B, T], 1 at the tokens to average over
     */
    public static Diagnostics of(NDArray studentLogits, NDArray teacherLogits, NDArray mask, int k, double temperature) {
        checkK(k, studentLogits);
        try (NDManager scope = studentLogits.getManager().newSubManager()) {
            NDArray valid = detached(mask, scope).gt(0);
            NDArray logQ = DistillationLoss.logProbs(DistillationLoss.onlyValid(detached(studentLogits, scope), valid), temperature);
            NDArray logP = DistillationLoss.logProbs(DistillationLoss.onlyValid(detached(teacherLogits, scope), valid), temperature);
            NDArray p = logP.exp();
            NDArray q = logQ.exp();
            NDArray teacherTop = logP.topK(k, 2, true, false).get(1);
            NDArray studentTop = logQ.topK(k, 2, true, false).get(1);
            NDArray inTeacherTop = TopKPartition.membership(teacherTop, logP).toType(DataType.FLOAT32, false);
            NDArray m = detached(mask, scope);
            return new Diagnostics(
                    tokenMean(LogSpace.kl(logP, logQ), m),
                    tokenMean(LogSpace.kl(logQ, logP), m),
                    tokenMean(p.gather(studentTop, 2).sum(new int[] {2}), m),
                    tokenMean(q.gather(teacherTop, 2).sum(new int[] {2}), m),
                    tokenMean(p.gather(teacherTop, 2).sum(new int[] {2}), m),
                    tokenMean(inTeacherTop.gather(studentTop, 2).sum(new int[] {2}).div(k), m),
                    m.sum().getFloat(), k);
        }
    }

    /**
     * Diagnostics against a top-k teacher at its temperature: the KLs are those of the k+1-class
     * coarsening (lower bounds of the full ones), and the teacher's mass on the student's top-k is NaN.
     */
    public static Diagnostics of(NDArray studentLogits, SparseTeacher.Tensors teacher, NDArray mask) {
        int k = teacher.k();
        checkK(k, studentLogits);
        try (NDManager scope = studentLogits.getManager().newSubManager()) {
            NDArray valid = detached(mask, scope).gt(0);
            NDArray logQ = DistillationLoss.logProbs(DistillationLoss.onlyValid(detached(studentLogits, scope), valid), teacher.temperature());
            NDArray indices = detached(teacher.indices(), scope);
            NDArray studentCoarse = TopKPartition.coarsen(logQ, indices);
            NDArray teacherCoarse = NDArrays.where(DistillationLoss.alongClasses(valid, studentCoarse), detached(teacher.logProbs(), scope),
                    Scalars.of(studentCoarse, -Math.log(k + 1)));
            NDIndex topClasses = new NDIndex(":, :, 0:" + k);
            NDArray studentTop = logQ.topK(k, 2, true, false).get(1);
            NDArray inTeacherTop = TopKPartition.membership(indices, logQ).toType(DataType.FLOAT32, false);
            NDArray m = detached(mask, scope);
            return new Diagnostics(
                    tokenMean(LogSpace.kl(teacherCoarse, studentCoarse), m),
                    tokenMean(LogSpace.kl(studentCoarse, teacherCoarse), m),
                    Double.NaN,
                    tokenMean(studentCoarse.get(topClasses).exp().sum(new int[] {2}), m),
                    tokenMean(teacherCoarse.get(topClasses).exp().sum(new int[] {2}), m),
                    tokenMean(inTeacherTop.gather(studentTop, 2).sum(new int[] {2}).div(k), m),
                    m.sum().getFloat(), k);
        }
    }

    /**
     * The diagnostics of several disjoint sets of positions (e.g. blocks of rows) as one: each metric is a
     * mean over tokens, so the parts are weighted by their token counts. All parts must share k.
     */
    public static Diagnostics combine(java.util.List<Diagnostics> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("nothing to combine");
        }
        int k = parts.get(0).k();
        double tokens = 0;
        double[] sums = new double[6];
        for (Diagnostics d : parts) {
            if (d.k() != k) {
                throw new IllegalArgumentException("cannot combine diagnostics with k " + k + " and " + d.k());
            }
            if (d.tokens() == 0) {
                continue; // its means are 0 by convention, not measurements
            }
            double[] v = {d.forwardKl(), d.reverseKl(), d.teacherMassOnStudentTopK(), d.studentMassOnTeacherTopK(),
                d.teacherTopKMass(), d.topKOverlap()};
            for (int i = 0; i < v.length; i++) {
                sums[i] += v[i] * d.tokens();
            }
            tokens += d.tokens();
        }
        double div = tokens == 0 ? 1 : tokens;
        return new Diagnostics(sums[0] / div, sums[1] / div, sums[2] / div, sums[3] / div, sums[4] / div, sums[5] / div, tokens, k);
    }

    /** The metrics under {@code prefix} (e.g. "kd/"), NaN entries left out, for a metrics row. */
    public Map<String, Double> metrics(String prefix) {
        Map<String, Double> out = new LinkedHashMap<>();
        put(out, prefix + "fkl", forwardKl);
        put(out, prefix + "rkl", reverseKl);
        put(out, prefix + "teacher_mass_on_student_top" + k, teacherMassOnStudentTopK);
        put(out, prefix + "student_mass_on_teacher_top" + k, studentMassOnTeacherTopK);
        put(out, prefix + "teacher_top" + k + "_mass", teacherTopKMass);
        put(out, prefix + "top" + k + "_overlap", topKOverlap);
        return out;
    }

    private static void put(Map<String, Double> out, String key, double value) {
        if (!Double.isNaN(value)) {
            out.put(key, value);
        }
    }

    private static double tokenMean(NDArray perPosition, NDArray mask) {
        return Reduction.TOKEN_MEAN.reduce(perPosition, mask).getFloat();
    }

    /** A gradient-free view of {@code a} owned by {@code scope}, so every op on it lands in the scope too. */
    private static NDArray detached(NDArray a, NDManager scope) {
        NDArray view = a.stopGradient();
        view.attach(scope);
        return view;
    }

    private static void checkK(int k, NDArray studentLogits) {
        long vocab = studentLogits.getShape().get(studentLogits.getShape().dimension() - 1);
        if (k < 1 || k > vocab) {
            throw new IllegalArgumentException("k must be in [1, vocab size " + vocab + "], got " + k);
        }
    }
}
