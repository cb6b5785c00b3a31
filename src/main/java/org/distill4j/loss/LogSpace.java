package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import org.distill4j.util.Scalars;

/**
 * Divergence arithmetic on log-probabilities whose last axis holds the classes (the vocabulary, or
 * the k+1 classes of a top-k teacher). Log-probabilities may be −∞ (a class with zero mass).
 *
 * <p>Every helper keeps −∞ out of arithmetic whose result is discarded, because autograd still
 * differentiates discarded branches: {@code where(c, a, b)} sends a zero gradient into the branch it
 * did not pick, and that zero times an infinite or NaN local derivative (log 0, −∞ − (−∞)) is NaN.
 * So the inputs of such operations are replaced by harmless finite values first. (DJL's
 * {@code where} also wants its condition in the shape of its first branch; only the second may be a
 * broadcast scalar.)
 */
final class LogSpace {
    static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private LogSpace() {}

    static int lastAxis(NDArray a) {
        return a.getShape().dimension() - 1;
    }

    /**
     * KL(a‖b) = Σ_c a_c (log a_c − log b_c) over the last axis. Classes with a_c = 0 contribute exactly
     * 0 (the 0·log 0 = 0 convention) and pass no gradient; a_c > 0 with b_c = 0 gives +∞, as it should.
     * "a_c = 0" is tested on exp(log a_c) so that mass lost to float underflow also counts as zero.
     */
    static NDArray kl(NDArray logA, NDArray logB) {
        NDArray a = logA.exp();
        NDArray logRatio = NDArrays.where(a.gt(0), logA.sub(logB), Scalars.of(logA, 0f));
        return a.mul(logRatio).sum(new int[] {lastAxis(logA)});
    }

    /**
     * log(w·a + (1−w)·b) elementwise, as log-sum-exp of (log w + log a, log(1−w) + log b). The ends
     * w = 0 and w = 1 return the other input unchanged (exact, and no log 0 enters the graph).
     */
    static NDArray logMixture(NDArray logA, NDArray logB, double w) {
        if (w == 0) {
            return logB;
        }
        if (w == 1) {
            return logA;
        }
        return logAddExp(logA.add((float) Math.log(w)), logB.add((float) Math.log1p(-w)));
    }

    /** log(exp x + exp y) elementwise; −∞ where both are −∞, with a zero (not NaN) gradient there. */
    static NDArray logAddExp(NDArray x, NDArray y) {
        // the shift cancels mathematically, so it needs no gradient; detaching it also avoids
        // maximum()'s split gradient on ties
        NDArray shift = x.maximum(y).stopGradient();
        NDArray finite = shift.gt(NEG_INF);
        NDArray safeShift = NDArrays.where(finite, shift, Scalars.of(x, 0f));
        NDArray sum = x.sub(safeShift).exp().add(y.sub(safeShift).exp());
        // where the shift is finite the sum is ≥ 1; elsewhere log(1) keeps log's derivative finite
        NDArray logSum = NDArrays.where(finite, sum, Scalars.of(x, 1f)).log();
        return NDArrays.where(finite, safeShift.add(logSum), Scalars.of(x, NEG_INF));
    }

    /** log Σ exp over {@code axis} (removed); −∞ for an all −∞ slice, with a zero gradient there. */
    static NDArray logSumExp(NDArray x, int axis) {
        NDArray shift = x.max(new int[] {axis}, true).stopGradient();
        NDArray finite = shift.gt(NEG_INF);
        NDArray safeShift = NDArrays.where(finite, shift, Scalars.of(x, 0f));
        NDArray sum = x.sub(safeShift).exp().sum(new int[] {axis}, true);
        NDArray logSum = NDArrays.where(finite, sum, Scalars.of(x, 1f)).log();
        return NDArrays.where(finite, safeShift.add(logSum), Scalars.of(x, NEG_INF)).squeeze(new int[] {axis});
    }
}
