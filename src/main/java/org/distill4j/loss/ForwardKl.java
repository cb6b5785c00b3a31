package org.distill4j.loss;

import ai.djl.ndarray.NDArray;

/**
 * Forward KL, KL(p‖q) = Σ p log(p/q): mass-covering, the classic distillation loss (and what
 * cross-entropy against the teacher's soft labels minimises, up to the teacher's entropy).
 */
public record ForwardKl() implements Divergence {
    @Override
    public NDArray between(NDArray teacherLogProbs, NDArray studentLogProbs) {
        return LogSpace.kl(teacherLogProbs, studentLogProbs);
    }

    @Override
    public String cliName() {
        return "fkl";
    }
}
