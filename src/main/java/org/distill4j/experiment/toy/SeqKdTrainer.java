package org.distill4j.experiment.toy;

import java.util.SplittableRandom;

/**
 * SeqKD: maximum likelihood on teacher samples. Each step draws a minibatch of teacher classes and takes
 * one Adam step on −mean log p_student(y). In the limit this minimises the forward KL(teacher‖student),
 * which punishes any teacher class the student gives little mass to — hence a single Gaussian spreads out
 * to cover every mode.
 *
 * @param steps     optimiser steps
 * @param batchSize teacher samples per step
 * @param lr        Adam learning rate on (μ, log σ)
 */
public record SeqKdTrainer(int steps, int batchSize, double lr) implements StudentTrainer {

    public SeqKdTrainer {
        if (steps < 1 || batchSize < 1 || !(lr > 0)) {
            throw new IllegalArgumentException("SeqKD needs steps ≥ 1, batch ≥ 1, lr > 0");
        }
    }

    @Override
    public String name() {
        return "SeqKD";
    }

    @Override
    public GaussianStudent train(MixtureTeacher teacher, GaussianStudent init, SplittableRandom rng) {
        GaussianStudent student = init;
        ScalarAdam adam = new ScalarAdam(2, lr);
        for (int step = 0; step < steps; step++) {
            int[] batch = teacher.sample(batchSize, rng);
            double[] probs = student.probs();
            double[] grad = new double[2];
            for (int y : batch) {
                double[] g = student.gradLogProb(y, probs);
                // minimising the negative log-likelihood, so the gradient is −∇ log p
                grad[0] -= g[0] / batchSize;
                grad[1] -= g[1] / batchSize;
            }
            double[] next = adam.step(new double[] {student.mu(), student.logSigma()}, grad);
            student = student.withParams(next[0], next[1]);
        }
        return student;
    }
}
