package org.distill4j.loss;

import ai.djl.ndarray.NDArray;

/**
 * Total variation distance, ½·Σ|p − q|, in [0, 1]. Bounded, symmetric, and a metric; its gradient
 * does not grow with log-ratios, which makes it robust where the distributions disagree strongly.
 */
public record Tvd() implements Divergence {
    @Override
    public NDArray between(NDArray teacherLogProbs, NDArray studentLogProbs) {
        NDArray gap = teacherLogProbs.exp().sub(studentLogProbs.exp()).abs();
        return gap.sum(new int[] {LogSpace.lastAxis(gap)}).mul(0.5f);
    }

    @Override
    public String cliName() {
        return "tvd";
    }
}
