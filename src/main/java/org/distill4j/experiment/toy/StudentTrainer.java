package org.distill4j.experiment.toy;

import java.util.SplittableRandom;

/**
 * A way to fit the student to the teacher from samples only. The two implementations are the two sides of
 * the toy: off-policy maximum likelihood and on-policy adversarial training.
 */
public sealed interface StudentTrainer permits SeqKdTrainer, ToyGadTrainer {

    /** Short name used in tables, JSON keys and the plot legend. */
    String name();

    /** Trains from {@code init}; every random draw comes from {@code rng}, so equal seeds give equal students. */
    GaussianStudent train(MixtureTeacher teacher, GaussianStudent init, SplittableRandom rng);
}
