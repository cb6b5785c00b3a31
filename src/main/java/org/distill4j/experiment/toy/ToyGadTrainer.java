package org.distill4j.experiment.toy;

import java.util.SplittableRandom;
import org.distill4j.util.Moments;

/**
 * GAD: the student is a policy, the discriminator its on-policy reward model. Each step
 *
 * <ol>
 *   <li>draws N student classes and N teacher classes;</li>
 *   <li>the discriminator takes one Adam step on the N (teacher, student) pairs with the Bradley–Terry
 *       loss −log σ(D(y_t) − D(y_s));</li>
 *   <li>the student takes one REINFORCE step on its N samples with rewards r_i = D(y_i) from the just
 *       updated discriminator and group-normalised advantages A_i = (r_i − mean r)/(std r + 1e-6):
 *       ascent on (1/N) Σ A_i ∇ log p(y_i).</li>
 * </ol>
 *
 * That is one D step per G step, as in the paper. The student never sees teacher samples directly: it only
 * learns which of its own classes the discriminator finds teacher-like, so it sharpens around the teacher
 * mass it already reaches instead of stretching to cover classes it never samples.
 *
 * @param steps             alternating D/G steps
 * @param samples           N: student samples per step (and teacher samples for the discriminator)
 * @param studentLr         Adam learning rate on (μ, log σ)
 * @param discriminatorLr   Adam learning rate on the per-class scores
 * @param discriminatorDecay L2 penalty on the scores
 */
public record ToyGadTrainer(int steps, int samples, double studentLr, double discriminatorLr, double discriminatorDecay)
        implements StudentTrainer {

    /** Added to the reward standard deviation so that a group of identical samples gives zero advantage, not NaN. */
    public static final double ADVANTAGE_EPS = 1e-6;

    public ToyGadTrainer {
        if (steps < 1 || samples < 2 || !(studentLr > 0) || !(discriminatorLr > 0) || discriminatorDecay < 0) {
            throw new IllegalArgumentException(
                    "GAD needs steps ≥ 1, samples ≥ 2, positive learning rates and a non-negative decay");
        }
    }

    @Override
    public String name() {
        return "GAD";
    }

    @Override
    public GaussianStudent train(MixtureTeacher teacher, GaussianStudent init, SplittableRandom rng) {
        GaussianStudent student = init;
        ToyDiscriminator discriminator = new ToyDiscriminator(teacher.classes(), discriminatorLr, discriminatorDecay);
        ScalarAdam adam = new ScalarAdam(2, studentLr);
        for (int step = 0; step < steps; step++) {
            int[] studentYs = student.sample(samples, rng);
            int[] teacherYs = teacher.sample(samples, rng);
            discriminator.train(teacherYs, studentYs);

            double[] rewards = new double[samples];
            for (int i = 0; i < samples; i++) {
                rewards[i] = discriminator.score(studentYs[i]);
            }
            double[] advantages = groupNormalise(rewards);
            double[] probs = student.probs();
            double[] grad = new double[2];
            for (int i = 0; i < samples; i++) {
                double[] g = student.gradLogProb(studentYs[i], probs);
                // Adam minimises, and REINFORCE ascends Σ A ∇log p: negate
                grad[0] -= advantages[i] * g[0] / samples;
                grad[1] -= advantages[i] * g[1] / samples;
            }
            double[] next = adam.step(new double[] {student.mu(), student.logSigma()}, grad);
            student = student.withParams(next[0], next[1]);
        }
        return student;
    }

    /** (r − mean)/(std + 1e-6) with the population standard deviation of the group. */
    static double[] groupNormalise(double[] rewards) {
        Moments m = Moments.of(rewards);
        double[] out = new double[rewards.length];
        for (int i = 0; i < rewards.length; i++) {
            out[i] = (rewards[i] - m.mean()) / (m.populationStd() + ADVANTAGE_EPS);
        }
        return out;
    }
}
