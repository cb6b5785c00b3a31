package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import org.distill4j.util.Scalars;

/**
 * Total variation distance, ½·Σ|p − q|, in [0, 1]. Bounded, symmetric, and a metric; its gradient
 * does not grow with log-ratios, which makes it robust where the distributions disagree strongly.
 */
public record Tvd() implements Divergence {
    @Override
    public NDArray between(NDArray teacherLogProbs, NDArray studentLogProbs) {
        NDArray gap = teacherLogProbs.exp().sub(studentLogProbs.exp()).abs();
        return Scalars.mul(gap.sum(new int[] {LogSpace.lastAxis(gap)}), 0.5);
    }

    @Override
    public String cliName() {
        return "tvd";
    }
}
