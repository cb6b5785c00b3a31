/**
 * The Gaussian-mixture toy of GAD (generative adversarial distillation): a teacher that is a discretised
 * Gaussian mixture over a handful of classes, and a student that is a single discretised Gaussian which
 * sees only samples. Maximum likelihood on teacher samples (SeqKD) covers the modes; adversarial training
 * with a Bradley–Terry discriminator and group-normalised REINFORCE (GAD) seeks one.
 *
 * <p>Everything here is plain double-precision Java with analytic gradients, not DJL: the problem has two
 * student parameters and ten discriminator scores, so a tensor engine would only add native start-up
 * time and nondeterminism. The gradients are checked against finite differences in the tests.
 */
package org.distill4j.experiment.toy;
