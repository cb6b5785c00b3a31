package org.distill4j.gad;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.distill4j.loss.Reduction;
import org.distill4j.util.Scalars;

/**
 * GAD's generator loss: the PPO-clipped policy gradient on group-normalised advantages plus a k3 KL
 * penalty to a frozen reference, averaged over the valid tokens of the batch (verl's
 * {@code loss_agg_mode = "token-mean"}). Per token, with A the advantage of the token's response:
 * <pre>
 *   ratio = exp(clamp(logp − old, −20, 20))
 *   pg1   = −A·ratio,   pg2 = −A·clamp(ratio, 1 − clip, 1 + clip),   pg = max(pg1, pg2)
 *   d     = clamp(ref − logp, −20, 20),   k3 = clamp(exp(d) − d − 1, −10, 10)
 *   loss  = Σ mask·(pg + klCoef·k3) / Σ mask
 * </pre>
 * pg is verl's {@code core_algos.compute_policy_loss} without its dual clip (verl also caps the loss of
 * A &lt; 0 tokens at −A·3; that only acts at ratios above 3, which GAD's one update per rollout, starting
 * at ratio 1, does not reach). k3 is verl's {@code kl_penalty(..., "low_var_kl")}, Schulman's estimator
 * of KL(π‖π_ref) from samples of π, ratio − 1 − log ratio with ratio = π_ref/π: non-negative and
 * unbiased, with less variance than −log ratio. Both clamps are verl's; they also keep exp finite, so
 * gradients cannot be NaN. The loss is minimised: a positive advantage pushes logp up. The advantages are
 * GRPO's group normalisation ({@link GroupAdvantage}).
 *
 * @param clip   PPO's ε, in (0, 1)
 * @param klCoef β, the weight of the k3 term, ≥ 0; 0 turns the penalty off
 */
public record PolicyLoss(double clip, double klCoef) {
    /** Bound on |logp − old| and |ref − logp| before exponentiating, as verl. */
    static final double LOG_RATIO_BOUND = 20;
    /** Bound on each token's k3, as verl's low_var_kl. */
    static final double K3_BOUND = 10;

    public PolicyLoss {
        if (!(clip > 0 && clip < 1)) {
            throw new IllegalArgumentException("clip must be in (0, 1), got " + clip);
        }
        if (!(klCoef >= 0) || Double.isInfinite(klCoef)) {
            throw new IllegalArgumentException("klCoef must be finite and >= 0, got " + klCoef);
        }
    }

    /** The paper's setting: clip 0.2, β = 0.001. */
    public static PolicyLoss gad() {
        return new PolicyLoss(0.2, 0.001);
    }

    /**
     * The loss and its parts for one batch of sampled responses.
     *
     * <p>Positions with mask 0 have their log-probs replaced by 0 before anything else, so padding that
     * holds garbage (−∞, NaN, huge log-ratios) changes neither the loss nor the gradient, which is exactly
     * 0 there. The inputs other than {@code logProbs} are treated as constants, and are converted to
     * logProbs' type (float64 works end to end).
     *
     * @param logProbs    [B, R], the current policy's log-probability of each sampled token; differentiable
     * @param oldLogProbs [B, R], the rollout policy's (constant); equal to logProbs on the first update
     * @param refLogProbs [B, R], the frozen reference's (constant); may be null only when klCoef is 0
     * @param advantages  [B], one per response, broadcast to all its tokens (see {@link GroupAdvantage})
     * @param mask        [B, R], float, 1 at response tokens to train on, 0 at padding
     * @return the differentiable loss and the logged means; with no valid token everything is 0
     */
    public Terms terms(NDArray logProbs, NDArray oldLogProbs, NDArray refLogProbs, NDArray advantages, NDArray mask) {
        Shape shape = logProbs.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("log-probs must be [B, R], got " + shape);
        }
        check("old log-probs", oldLogProbs, shape);
        check("mask", mask, shape);
        if (refLogProbs != null) {
            check("reference log-probs", refLogProbs, shape);
        } else if (klCoef != 0) {
            throw new IllegalArgumentException("reference log-probs are required when klCoef = " + klCoef + " != 0");
        }
        check("advantages", advantages, new Shape(shape.get(0)));
        DataType type = logProbs.getDataType();
        NDManager owner = logProbs.getManager();
        try (NDManager scope = owner.newSubManager()) {
            NDArray m = constant(scope, mask, type);
            NDArray valid = m.gt(0);
            NDArray logp = onlyValid(own(scope, logProbs.reshape(shape)), valid);
            NDArray old = onlyValid(constant(scope, oldLogProbs, type), valid);
            NDArray negA = constant(scope, advantages, type).neg().expandDims(1);
            NDArray ratio = logp.sub(old).clip(-LOG_RATIO_BOUND, LOG_RATIO_BOUND).exp();
            NDArray pg1 = ratio.mul(negA);
            NDArray pg2 = ratio.clip(1 - clip, 1 + clip).mul(negA);
            // max(pg1, pg2) as a where on the strict comparison that also defines the clip fraction; on a
            // tie (ratio inside the clip range) both branches have the same value and gradient
            NDArray clipped = pg2.gt(pg1);
            NDArray pg = NDArrays.where(clipped, pg2, pg1);
            NDArray perToken = pg;
            double kl = Double.NaN;
            if (refLogProbs != null) {
                NDArray k3 = k3(logp, onlyValid(constant(scope, refLogProbs, type), valid));
                kl = tokenMean(k3.stopGradient(), m);
                if (klCoef != 0) {
                    perToken = pg.add(Scalars.mul(k3, klCoef));
                }
            }
            NDArray loss = Reduction.TOKEN_MEAN.reduce(perToken, m);
            return new Terms(own(owner, loss), tokenMean(pg.stopGradient(), m), kl,
                    tokenMean(clipped.toType(type, false), m));
        }
    }

    /**
     * Per-token k3 ("low_var_kl"): with d = clamp(ref − logp, −20, 20), clamp(exp(d) − d − 1, −10, 10).
     * 0 where ref = logp, ≥ 0 everywhere; the gradient w.r.t. logp is 1 − exp(d), and 0 once either
     * clamp is active. No masking.
     *
     * @param logProbs    [...], differentiable
     * @param refLogProbs the same shape, constant
     * @return owned by the reference log-probs' manager
     */
    public static NDArray k3(NDArray logProbs, NDArray refLogProbs) {
        NDArray d = refLogProbs.sub(logProbs).clip(-LOG_RATIO_BOUND, LOG_RATIO_BOUND);
        return d.exp().sub(d).sub(1).clip(-K3_BOUND, K3_BOUND);
    }

    /**
     * What one batch gives.
     *
     * @param loss         the differentiable scalar to backpropagate (token-mean of pg + klCoef·k3), owned by the
     *                     log-probs' manager; it must live until backward()
     * @param policyLoss   the token-mean of pg alone (before the KL term)
     * @param kl           the token-mean of k3, an estimate of KL(π‖π_ref) per token; NaN when no reference
     *                     log-probs were given
     * @param clipFraction the fraction of valid tokens where the clipped branch is active (pg2 &gt; pg1): the
     *                     ratio has left [1 − clip, 1 + clip] in the direction the advantage rewards, so the
     *                     token passes no policy gradient
     */
    public record Terms(NDArray loss, double policyLoss, double kl, double clipFraction) {}

    /** A logged token-mean, summed in float64 whatever the inputs' type (so 7 of 12 tokens is 7/12 exactly). */
    private static double tokenMean(NDArray perToken, NDArray mask) {
        return Reduction.TOKEN_MEAN.reduce(perToken.toType(DataType.FLOAT64, false), mask.toType(DataType.FLOAT64, false))
                .getDouble();
    }

    /** Zeros the positions that are not valid, so garbage there never enters the arithmetic. */
    private static NDArray onlyValid(NDArray a, NDArray valid) {
        return NDArrays.where(valid, a, valid.getManager().full(new Shape(), 0f, a.getDataType()));
    }

    /** A gradient-free copy of {@code a} in {@code type}, owned by {@code scope} with everything computed from it. */
    private static NDArray constant(NDManager scope, NDArray a, DataType type) {
        return own(scope, a.stopGradient()).toType(type, false);
    }

    /** Moves {@code a} into {@code manager} (ops put results in their first input's manager). */
    private static NDArray own(NDManager manager, NDArray a) {
        a.attach(manager);
        return a;
    }

    private static void check(String name, NDArray a, Shape expected) {
        if (a == null) {
            throw new IllegalArgumentException(name + " are required");
        }
        if (!a.getShape().equals(expected)) {
            throw new IllegalArgumentException(name + " must be " + expected + ", got " + a.getShape());
        }
    }
}
