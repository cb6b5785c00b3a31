package org.distill4j.experiment.toy;

/**
 * Logistic regression over the one-hot encoding of a class: D(y) = w_y, one learned score per class (a
 * bias would cancel in every pairwise difference, so there is none). Trained with the Bradley–Terry loss
 * on (teacher sample, student sample) pairs,
 *
 * <pre>
 *   L = −log σ(D(y_t) − D(y_s)),   ∂L/∂w_{y_t} = σ(δ) − 1,   ∂L/∂w_{y_s} = 1 − σ(δ),   δ = D(y_t) − D(y_s)
 * </pre>
 *
 * so it learns to score teacher-like classes above student-like ones. An optional L2 penalty keeps the
 * scores of classes that only one side ever produces from drifting without bound.
 */
public final class ToyDiscriminator {
    private double[] scores;
    private final ScalarAdam adam;
    private final double weightDecay;

    public ToyDiscriminator(int classes, double lr, double weightDecay) {
        this.scores = new double[classes];
        this.adam = new ScalarAdam(classes, lr);
        this.weightDecay = weightDecay;
    }

    public double score(int y) {
        return scores[y];
    }

    public double[] scores() {
        return scores.clone();
    }

    /** Bradley–Terry loss of one pair, −log σ(δ) computed as log(1 + e^{−δ}) without overflow. */
    public static double btLoss(double[] scores, int teacherY, int studentY) {
        double delta = scores[teacherY] - scores[studentY];
        return softplus(-delta);
    }

    /** Mean BT loss over pairs plus the L2 penalty; its gradient is {@link #btGradient}. */
    public static double meanLoss(double[] scores, int[] teacherYs, int[] studentYs, double weightDecay) {
        double sum = 0;
        for (int i = 0; i < teacherYs.length; i++) {
            sum += btLoss(scores, teacherYs[i], studentYs[i]);
        }
        double l2 = 0;
        for (double w : scores) {
            l2 += w * w;
        }
        return sum / teacherYs.length + 0.5 * weightDecay * l2;
    }

    /** ∂ meanLoss / ∂ scores. */
    public static double[] btGradient(double[] scores, int[] teacherYs, int[] studentYs, double weightDecay) {
        double[] grad = new double[scores.length];
        int n = teacherYs.length;
        for (int i = 0; i < n; i++) {
            double delta = scores[teacherYs[i]] - scores[studentYs[i]];
            double g = (sigmoid(delta) - 1) / n;
            grad[teacherYs[i]] += g;
            grad[studentYs[i]] -= g;
        }
        for (int c = 0; c < scores.length; c++) {
            grad[c] += weightDecay * scores[c];
        }
        return grad;
    }

    /** One Adam step on the mean BT loss of the given pairs; returns the loss before the step. */
    public double train(int[] teacherYs, int[] studentYs) {
        if (teacherYs.length != studentYs.length || teacherYs.length == 0) {
            throw new IllegalArgumentException("need equally many teacher and student samples, got "
                    + teacherYs.length + " and " + studentYs.length);
        }
        double loss = meanLoss(scores, teacherYs, studentYs, weightDecay);
        scores = adam.step(scores, btGradient(scores, teacherYs, studentYs, weightDecay));
        return loss;
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }
}
