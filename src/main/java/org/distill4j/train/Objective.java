package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/**
 * What a training run minimises. Everything an objective draws (batch order, samples) must be a
 * function of the run's seed and the step, so that a resumed run continues exactly as an
 * uninterrupted one would.
 */
public interface Objective {
    /**
     * The loss of micro-batch {@code micro} of optimizer step {@code step}, computed inside an open
     * GradientCollector and scaled so that the micro-batch losses of a step add up to the step's loss.
     */
    Loss loss(NDManager m, long step, int micro);

    /**
     * Called on the training thread before the run computes anything (before a resume restores its state
     * and before the first evaluation): whatever decides how the steps are computed (e.g. how many engine
     * threads this thread uses) is set here, so that a resumed run computes every step as an uninterrupted
     * one does.
     */
    default void start() {}

    /** Validation metrics (no gradient), e.g. {@code val_loss}; empty when there is no validation set. */
    Map<String, Double> evaluate(NDManager m);

    /** Optimizer steps per epoch (for the epoch column of the metrics). */
    double stepsPerEpoch();

    /**
     * @param value  scalar, differentiable
     * @param tokens tokens processed (for tokens/s)
     * @param extra  diagnostics averaged into the step's metrics row
     */
    record Loss(NDArray value, long tokens, Map<String, Double> extra) {}
}
