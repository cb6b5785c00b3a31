package org.distill4j.loss;

import ai.djl.ndarray.NDArray;

/**
 * DistiLLM's α-skew reverse KL, KL(q ‖ α·q + (1−α)·p): reverse KL against a teacher smoothed with a
 * little of the student, finite (≤ −log α) even where the teacher gives a class zero mass. α = 0 is
 * reverse KL, α = 1 is 0.
 *
 * @param alpha the student's weight in the skewed teacher, in [0, 1]
 */
public record SkewReverseKl(double alpha) implements Divergence {
    public SkewReverseKl {
        Divergence.checkUnit("srkl alpha", alpha);
    }

    @Override
    public NDArray between(NDArray teacherLogProbs, NDArray studentLogProbs) {
        return LogSpace.kl(studentLogProbs, LogSpace.logMixture(studentLogProbs, teacherLogProbs, alpha));
    }

    @Override
    public String cliName() {
        return "srkl";
    }
}
