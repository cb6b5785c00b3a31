package org.distill4j.experiment.toy;

import java.util.SplittableRandom;

/** Small numerics shared by the teacher and the student: normalising log-weights and sampling a class. */
final class Categorical {
    private Categorical() {}

    /** log Σ exp(x), shifted by the maximum so that very negative logits (a narrow Gaussian) do not underflow. */
    static double logSumExp(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }

    /** Log-probabilities from unnormalised log-weights. */
    static double[] logNormalise(double[] logits) {
        double lse = logSumExp(logits);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - lse;
        }
        return out;
    }

    static double[] exp(double[] logProbs) {
        double[] out = new double[logProbs.length];
        for (int i = 0; i < logProbs.length; i++) {
            out[i] = Math.exp(logProbs[i]);
        }
        return out;
    }

    /** Inverse-CDF sampling; the last class absorbs rounding so a draw is always a valid class. */
    static int sample(double[] probs, SplittableRandom rng) {
        double u = rng.nextDouble();
        double cumulative = 0;
        for (int c = 0; c < probs.length - 1; c++) {
            cumulative += probs[c];
            if (u < cumulative) {
                return c;
            }
        }
        return probs.length - 1;
    }
}
