package org.distill4j.experiment.toy;

import java.util.List;

/**
 * How a student distribution S sits against the teacher T, all in nats:
 *
 * @param forwardKl    KL(T‖S) = Σ T log(T/S): large when the student misses teacher mass (mode-covering keeps it low)
 * @param reverseKl    KL(S‖T) = Σ S log(S/T): large when the student puts mass where the teacher has little
 *                     (mode-seeking keeps it low)
 * @param entropy      H(S) = −Σ S log S
 * @param modeMass     student mass on classes within ±1 of any teacher mode mean (the union of the windows)
 * @param bestModeMass the largest mass a single teacher mode's ±1 window captures: above ½ means the student
 *                     has settled on one mode
 * @param bestMode     index (in the teacher's mode list) of that mode
 */
public record ToyMetrics(
        double forwardKl, double reverseKl, double entropy, double modeMass, double bestModeMass, int bestMode) {

    /** Window half-width around each teacher mode mean, in classes. */
    public static final double WINDOW = 1.0;

    /** The metric names in table/JSON order; {@link #value(String)} reads them back. */
    public static final List<String> NAMES =
            List.of("forward_kl", "reverse_kl", "entropy", "mode_mass", "best_mode_mass");

    public double value(String name) {
        return switch (name) {
            case "forward_kl" -> forwardKl;
            case "reverse_kl" -> reverseKl;
            case "entropy" -> entropy;
            case "mode_mass" -> modeMass;
            case "best_mode_mass" -> bestModeMass;
            default -> throw new IllegalArgumentException("unknown metric " + name);
        };
    }

    /**
     * Computes the metrics from log-probabilities (not probabilities, so a very narrow student's
     * vanishing classes give a large finite forward KL instead of infinity).
     */
    public static ToyMetrics of(double[] teacherLogProbs, double[] studentLogProbs, double[] modeMeans) {
        double[] best = bestWindow(studentLogProbs, modeMeans);
        return new ToyMetrics(
                kl(teacherLogProbs, studentLogProbs),
                kl(studentLogProbs, teacherLogProbs),
                entropy(studentLogProbs),
                windowMass(studentLogProbs, modeMeans),
                best[1],
                (int) best[0]);
    }

    /** KL(P‖Q) = Σ_c P(c)(log P(c) − log Q(c)); classes with P(c) = 0 contribute nothing. */
    public static double kl(double[] logP, double[] logQ) {
        if (logP.length != logQ.length) {
            throw new IllegalArgumentException("distributions over different supports");
        }
        double sum = 0;
        for (int c = 0; c < logP.length; c++) {
            double p = Math.exp(logP[c]);
            if (p > 0) {
                sum += p * (logP[c] - logQ[c]);
            }
        }
        return Math.max(0, sum); // tiny negative values are rounding
    }

    public static double entropy(double[] logP) {
        double sum = 0;
        for (double lp : logP) {
            double p = Math.exp(lp);
            if (p > 0) {
                sum -= p * lp;
            }
        }
        return sum;
    }

    static boolean inWindow(int c, double mean) {
        return Math.abs(c - mean) <= WINDOW + 1e-9;
    }

    /** Mass on the union of the ±1 windows: a class near two modes is counted once. */
    public static double windowMass(double[] logP, double[] modeMeans) {
        double mass = 0;
        for (int c = 0; c < logP.length; c++) {
            for (double m : modeMeans) {
                if (inWindow(c, m)) {
                    mass += Math.exp(logP[c]);
                    break;
                }
            }
        }
        return mass;
    }

    /** {index of the best mode, its window mass}. */
    static double[] bestWindow(double[] logP, double[] modeMeans) {
        int best = 0;
        double bestMass = -1;
        for (int k = 0; k < modeMeans.length; k++) {
            double mass = windowMass(logP, new double[] {modeMeans[k]});
            if (mass > bestMass) {
                bestMass = mass;
                best = k;
            }
        }
        return new double[] {best, bestMass};
    }
}
