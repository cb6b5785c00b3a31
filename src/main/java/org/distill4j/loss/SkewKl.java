package org.distill4j.loss;

import ai.djl.ndarray.NDArray;

/**
 * DistiLLM's α-skew KL, KL(p ‖ α·p + (1−α)·q) (arXiv 2402.03898; α ≈ 0.1 there). Mixing a little of
 * the teacher into the student keeps the ratio p/M ≤ 1/α, so the loss is at most −log α and its
 * gradient stays bounded where the student is near zero. α = 0 is forward KL, α = 1 is 0.
 *
 * @param alpha the teacher's weight in the skewed student, in [0, 1]
 */
public record SkewKl(double alpha) implements Divergence {
    public SkewKl {
        Divergence.checkUnit("skl alpha", alpha);
    }

    @Override
    public NDArray between(NDArray teacherLogProbs, NDArray studentLogProbs) {
        return LogSpace.kl(teacherLogProbs, LogSpace.logMixture(teacherLogProbs, studentLogProbs, alpha));
    }

    @Override
    public String cliName() {
        return "skl";
    }
}
