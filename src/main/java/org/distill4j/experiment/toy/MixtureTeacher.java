package org.distill4j.experiment.toy;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The teacher: a mixture of Gaussians evaluated at the integer classes 0..K−1 and renormalised over them,
 * p_T(c) ∝ Σ_k w_k N(c; m_k, s_k²). The same "density at the class, normalised" convention as the student
 * ({@link GaussianStudent}), so a one-component teacher is exactly representable by the student.
 *
 * @param classes number of classes K (the support is 0..K−1)
 * @param modes   the mixture components; their means are "the teacher's modes" in the metrics
 */
public record MixtureTeacher(int classes, List<Mode> modes) {

    /** One mixture component: weight (need not be normalised), mean and standard deviation, in class units. */
    public record Mode(double weight, double mean, double sigma) {
        public Mode {
            if (!(weight > 0) || !Double.isFinite(weight)) {
                throw new IllegalArgumentException("mode weight must be positive, got " + weight);
            }
            if (!(sigma > 0) || !Double.isFinite(sigma)) {
                throw new IllegalArgumentException("mode sigma must be positive, got " + sigma);
            }
            if (!Double.isFinite(mean)) {
                throw new IllegalArgumentException("mode mean must be finite, got " + mean);
            }
        }
    }

    public MixtureTeacher {
        modes = List.copyOf(modes);
        if (classes < 2) {
            throw new IllegalArgumentException("need at least 2 classes, got " + classes);
        }
        if (modes.isEmpty()) {
            throw new IllegalArgumentException("the teacher needs at least one mode");
        }
    }

    /** log p_T(c) for every class, computed in log space so that far tails stay finite. */
    public double[] logProbs() {
        double totalWeight = modes.stream().mapToDouble(Mode::weight).sum();
        double[] logits = new double[classes];
        double[] perMode = new double[modes.size()];
        for (int c = 0; c < classes; c++) {
            for (int k = 0; k < modes.size(); k++) {
                Mode m = modes.get(k);
                double z = (c - m.mean()) / m.sigma();
                // log of w_k N(c; m_k, s_k²); the common 1/sqrt(2π) cancels in the normalisation
                perMode[k] = Math.log(m.weight() / totalWeight) - Math.log(m.sigma()) - 0.5 * z * z;
            }
            logits[c] = Categorical.logSumExp(perMode);
        }
        return Categorical.logNormalise(logits);
    }

    public double[] probs() {
        return Categorical.exp(logProbs());
    }

    public double[] modeMeans() {
        return modes.stream().mapToDouble(Mode::mean).toArray();
    }

    /** Draws n classes from p_T. */
    public int[] sample(int n, SplittableRandom rng) {
        double[] p = probs();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = Categorical.sample(p, rng);
        }
        return out;
    }
}
