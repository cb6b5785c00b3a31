package org.distill4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.Example;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.Reduction;
import org.distill4j.loss.SparseTeacher;

/**
 * What a top-k teacher (k ids + one tail bucket) costs in accuracy against the full vocabulary, on a
 * real teacher and student along real responses: the loss value, its gradient with respect to the
 * student's logits (what training actually follows), the teacher mass the top k hold, and the memory and
 * time of the two forms. Every figure is over the same positions, so the full-vocabulary row is the
 * reference of the others.
 */
public final class TopKError {
    private TopKError() {}

    /**
     * One k against the full vocabulary, over all response positions.
     *
     * @param lossFull        token-mean divergence with the full vocabulary
     * @param lossTopK        token-mean divergence on the k+1 classes (≤ lossFull for the KLs)
     * @param gradCosine      cosine between the two gradients with respect to the student's logits
     * @param gradRelError    ‖g_k − g_full‖ / ‖g_full‖
     * @param teacherMass     mean teacher probability mass on its own top k
     * @param bytesPerPosition cache size of one position as TopKCache stores it: k ids (int64) + k+1
     *                        log-probs (float32); the full row is V float32
     * @param lossMillis      mean time of loss + backward per batch (teacher logits given)
     */
    public record Row(int k, double lossFull, double lossTopK, double gradCosine, double gradRelError, double teacherMass,
                      long bytesPerPosition, double lossMillis) {
        public double relError() {
            return lossFull == 0 ? 0 : (lossFull - lossTopK) / lossFull;
        }
    }

    /**
     * @param ks the k to measure; k ≥ the vocabulary is the full computation (reported as the first row, k = V)
     */
    public static List<Row> measure(Transformer teacher, Transformer student, List<Example> examples, List<Integer> ks,
                                    DistillationLoss loss, int batch) {
        int vocab = Math.min(teacher.config().vocabSize(), student.config().vocabSize());
        List<Integer> sparse = ks.stream().filter(k -> k >= 1 && k < vocab).distinct().sorted().toList();
        int n = sparse.size();
        double[] lossSum = new double[n + 1];
        double[] dot = new double[n + 1];
        double[] sq = new double[n + 1];
        double[] diffSq = new double[n + 1];
        double[] mass = new double[n + 1];
        long[] nanos = new long[n + 1];
        double fullSq = 0;
        long positions = 0;
        int batches = 0;
        for (int s = 0; s < examples.size(); s += batch, batches++) {
            List<Example> b = examples.subList(s, Math.min(examples.size(), s + batch));
            try (NDManager m = student.manager().newSubManager()) {
                LanguageModel.ResponseLogits t = LanguageModel.responseLogits(teacher, m, Example.prompts(b), Example.responses(b));
                LanguageModel.ResponseLogits q = LanguageModel.responseLogits(student, m, Example.prompts(b), Example.responses(b));
                NDArray teacherLogits = slice(t.logits(), vocab).stopGradient();
                NDArray studentLogits = slice(q.logits(), vocab).stopGradient();
                NDArray mask = q.mask();
                double tokens = mask.sum().getFloat();
                positions += (long) tokens;
                long t0 = System.nanoTime();
                Gradient full = gradient(studentLogits, logits -> loss.loss(logits, teacherLogits, mask, Reduction.TOKEN_MEAN));
                nanos[0] += System.nanoTime() - t0;
                lossSum[0] += full.loss * tokens;
                mass[0] += tokens;
                fullSq += full.grad.square().sum().getFloat();
                for (int i = 0; i < n; i++) {
                    int k = sparse.get(i);
                    long t1 = System.nanoTime();
                    SparseTeacher.Tensors top = SparseTeacher.tensorsFromLogits(teacherLogits, k, loss.temperature());
                    Gradient g = gradient(studentLogits, logits -> loss.loss(logits, top, mask, Reduction.TOKEN_MEAN));
                    nanos[i + 1] += System.nanoTime() - t1;
                    lossSum[i + 1] += g.loss * tokens;
                    dot[i + 1] += full.grad.mul(g.grad).sum().getFloat();
                    sq[i + 1] += g.grad.square().sum().getFloat();
                    diffSq[i + 1] += full.grad.sub(g.grad).square().sum().getFloat();
                    NDArray topMass = top.logProbs().get(":, :, :" + k).exp().sum(new int[] {2});
                    mass[i + 1] += topMass.mul(mask).sum().getFloat();
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        double lossFull = lossSum[0] / positions;
        rows.add(new Row(vocab, lossFull, lossFull, 1, 0, 1, 4L * vocab, nanos[0] / 1e6 / batches));
        for (int i = 0; i < n; i++) {
            int k = sparse.get(i);
            rows.add(new Row(k, lossFull, lossSum[i + 1] / positions, dot[i + 1] / Math.sqrt(fullSq * sq[i + 1]),
                    Math.sqrt(diffSq[i + 1] / fullSq), mass[i + 1] / positions, 8L * k + 4L * (k + 1), nanos[i + 1] / 1e6 / batches));
        }
        return rows;
    }

    private record Gradient(double loss, NDArray grad) {}

    private static Gradient gradient(NDArray studentLogits, java.util.function.Function<NDArray, NDArray> lossOf) {
        NDArray leaf = studentLogits.duplicate();
        leaf.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray value = lossOf.apply(leaf);
            gc.backward(value);
            return new Gradient(value.getFloat(), leaf.getGradient().duplicate());
        }
    }

    private static NDArray slice(NDArray logits, int vocab) {
        return logits.getShape().get(2) == vocab ? logits : logits.get(":, :, :" + vocab);
    }
}
