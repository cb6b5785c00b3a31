package org.distill4j.loss;

import ai.djl.ndarray.NDArray;

/**
 * Reverse KL, KL(q‖p) = Σ q log(q/p): mode-seeking; infinite where the student puts mass on a class
 * the teacher gives exactly zero (e.g. a −∞ teacher logit the student did not mask as well).
 */
public record ReverseKl() implements Divergence {
    @Override
    public NDArray between(NDArray teacherLogProbs, NDArray studentLogProbs) {
        return LogSpace.kl(studentLogProbs, teacherLogProbs);
    }

    @Override
    public String cliName() {
        return "rkl";
    }
}
