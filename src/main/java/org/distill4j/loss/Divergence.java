package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import java.util.Locale;
import org.distill4j.util.UserError;

/**
 * A token-level distillation divergence D(p, q) between the teacher's next-token distribution p and
 * the student's q, summed over the classes of one position. Implementations work on log-probabilities
 * so that the same code serves the full vocabulary and the k+1 classes of a {@link SparseTeacher}.
 *
 * <p>All of them are ≥ 0 and 0 when p = q. Conventions (temperature, masks, reductions) live in
 * {@link DistillationLoss}; docs/losses.md has the formulas side by side.
 */
public sealed interface Divergence permits ForwardKl, ReverseKl, Jsd, SkewKl, SkewReverseKl, Tvd {
    /**
     * The divergence per position.
     *
     * @param teacherLogProbs log p, shape [..., C], normalised over the last axis (−∞ allowed)
     * @param studentLogProbs log q, same shape; the gradient flows through this one
     * @return shape [...] (the last axis summed away)
     */
    NDArray between(NDArray teacherLogProbs, NDArray studentLogProbs);

    /** The CLI name: fkl, rkl, jsd, skl, srkl or tvd. */
    String cliName();

    /**
     * The divergence a CLI names. {@code beta} is read only by jsd and {@code alpha} only by skl/srkl.
     *
     * @throws UserError for an unknown name or a coefficient outside [0, 1]
     */
    static Divergence parse(String name, double beta, double alpha) {
        try {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "fkl" -> new ForwardKl();
                case "rkl" -> new ReverseKl();
                case "jsd" -> new Jsd(beta);
                case "skl" -> new SkewKl(alpha);
                case "srkl" -> new SkewReverseKl(alpha);
                case "tvd" -> new Tvd();
                default -> throw new UserError("unknown divergence '" + name + "' (expected fkl, rkl, jsd, skl, srkl or tvd)");
            };
        } catch (IllegalArgumentException e) {
            throw new UserError(name + ": " + e.getMessage(), e);
        }
    }

    /** Rejects NaN and values outside [0, 1] for a mixture coefficient. */
    static double checkUnit(String what, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(what + " must be in [0, 1], got " + value);
        }
        return value;
    }
}
