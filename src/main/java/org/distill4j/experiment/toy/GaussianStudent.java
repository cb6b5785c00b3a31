package org.distill4j.experiment.toy;

import java.util.SplittableRandom;

/**
 * The student: one Gaussian N(μ, σ²) discretised over the classes 0..K−1 by evaluating its density at each
 * class and renormalising, p(c) = softmax_c(−(c−μ)²/(2σ²)). We chose density-at-the-class over the CDF mass
 * of [c−½, c+½] because the log-probability is then a softmax of quadratic logits whose gradient is short
 * and exact:
 *
 * <pre>
 *   z_c = −(c−μ)² e^{−2s} / 2          (s = log σ)
 *   ∂z_c/∂μ = (c−μ)/σ²,   ∂z_c/∂s = (c−μ)²/σ²
 *   ∂ log p(y)/∂θ = ∂z_y/∂θ − Σ_c p(c) ∂z_c/∂θ
 * </pre>
 *
 * Parameterising by log σ keeps σ positive without constraints. The record is immutable: a training step
 * returns a new student.
 */
public record GaussianStudent(int classes, double mu, double logSigma) {

    /** log σ is clamped to this range: below it the distribution is one-hot to machine precision, above it flat. */
    public static final double MIN_LOG_SIGMA = Math.log(0.05);
    public static final double MAX_LOG_SIGMA = Math.log(50.0);

    public GaussianStudent {
        if (classes < 2) {
            throw new IllegalArgumentException("need at least 2 classes, got " + classes);
        }
        if (!Double.isFinite(mu) || !Double.isFinite(logSigma)) {
            throw new IllegalArgumentException("student parameters must be finite: mu=" + mu + " logSigma=" + logSigma);
        }
    }

    public double sigma() {
        return Math.exp(logSigma);
    }

    /** A student with the given parameters, log σ clamped to [MIN_LOG_SIGMA, MAX_LOG_SIGMA]. */
    public GaussianStudent withParams(double newMu, double newLogSigma) {
        return new GaussianStudent(classes, newMu, Math.max(MIN_LOG_SIGMA, Math.min(MAX_LOG_SIGMA, newLogSigma)));
    }

    private double[] logits() {
        double invVar = Math.exp(-2 * logSigma);
        double[] z = new double[classes];
        for (int c = 0; c < classes; c++) {
            double d = c - mu;
            z[c] = -0.5 * d * d * invVar;
        }
        return z;
    }

    public double[] logProbs() {
        return Categorical.logNormalise(logits());
    }

    public double[] probs() {
        return Categorical.exp(logProbs());
    }

    public double logProb(int c) {
        return logProbs()[c];
    }

    /** {∂ log p(y)/∂μ, ∂ log p(y)/∂ log σ}. */
    public double[] gradLogProb(int y) {
        return gradLogProb(y, probs());
    }

    /** As {@link #gradLogProb(int)}, reusing already computed probabilities (the hot path in training). */
    double[] gradLogProb(int y, double[] probs) {
        double invVar = Math.exp(-2 * logSigma);
        double meanDzMu = 0;
        double meanDzS = 0;
        for (int c = 0; c < classes; c++) {
            double d = c - mu;
            meanDzMu += probs[c] * d * invVar;
            meanDzS += probs[c] * d * d * invVar;
        }
        double dy = y - mu;
        return new double[] {dy * invVar - meanDzMu, dy * dy * invVar - meanDzS};
    }

    public int[] sample(int n, SplittableRandom rng) {
        double[] p = probs();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = Categorical.sample(p, rng);
        }
        return out;
    }
}
