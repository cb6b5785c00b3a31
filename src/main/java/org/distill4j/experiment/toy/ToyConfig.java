package org.distill4j.experiment.toy;

import java.util.List;
import org.distill4j.util.UserError;

/**
 * Everything that determines a toy run. Given the same config, {@link ToyExperiment} produces bit-identical
 * results: each seed drives its own {@link java.util.SplittableRandom}.
 *
 * <p>The defaults were tuned (see docs/toy.md): a teacher with two modes at classes 1 and 6, separated by
 * classes the teacher (almost) never produces, and a wide student started in the middle. With three modes
 * packed into ten classes (e.g. 1, 5, 8 at σ 0.7) no class is empty, the best single discretised Gaussian
 * under either KL is close to uniform, and neither method can show anything.
 *
 * @param classes            size K of the support 0..K−1
 * @param teacherModes       mixture components of the teacher
 * @param initMu             student's initial mean
 * @param initSigma          student's initial standard deviation
 * @param steps              optimiser steps for each method
 * @param samples            teacher samples per SeqKD step; student samples (and as many teacher samples) per GAD step
 * @param seqKdLr            Adam learning rate of SeqKD
 * @param gadStudentLr       Adam learning rate of the GAD student
 * @param discriminatorLr    Adam learning rate of the discriminator
 * @param discriminatorDecay L2 penalty on the discriminator's scores
 * @param seeds              how many seeds to run
 * @param firstSeed          seeds are firstSeed, firstSeed+1, …
 */
public record ToyConfig(
        int classes,
        List<MixtureTeacher.Mode> teacherModes,
        double initMu,
        double initSigma,
        int steps,
        int samples,
        double seqKdLr,
        double gadStudentLr,
        double discriminatorLr,
        double discriminatorDecay,
        int seeds,
        long firstSeed) {

    public static final int DEFAULT_CLASSES = 10;
    public static final List<MixtureTeacher.Mode> DEFAULT_MODES =
            List.of(new MixtureTeacher.Mode(0.5, 1, 0.5), new MixtureTeacher.Mode(0.5, 6, 0.5));

    public ToyConfig {
        teacherModes = List.copyOf(teacherModes);
        require(classes >= 2, "--classes must be at least 2, got " + classes);
        require(!teacherModes.isEmpty(), "the teacher needs at least one mode");
        require(Double.isFinite(initMu), "--init-mu must be finite");
        require(initSigma > 0 && Double.isFinite(initSigma), "--init-sigma must be positive, got " + initSigma);
        require(steps >= 1, "--steps must be at least 1, got " + steps);
        require(samples >= 2, "--samples must be at least 2 (REINFORCE normalises over the group), got " + samples);
        require(seqKdLr > 0, "--seqkd-lr must be positive, got " + seqKdLr);
        require(gadStudentLr > 0, "--gad-lr must be positive, got " + gadStudentLr);
        require(discriminatorLr > 0, "--disc-lr must be positive, got " + discriminatorLr);
        require(discriminatorDecay >= 0, "--disc-decay must be non-negative, got " + discriminatorDecay);
        require(seeds >= 1, "--seeds must be at least 1, got " + seeds);
    }

    /** The documented defaults with the given number of seeds. */
    public static ToyConfig defaults(int seeds) {
        return new ToyConfig(DEFAULT_CLASSES, DEFAULT_MODES, 4.5, 3.0, 1000, 32, 0.05, 0.01, 0.2, 0.0, seeds, 1);
    }

    public MixtureTeacher teacher() {
        return new MixtureTeacher(classes, teacherModes);
    }

    public GaussianStudent initialStudent() {
        return new GaussianStudent(classes, initMu, Math.log(initSigma));
    }

    public SeqKdTrainer seqKd() {
        return new SeqKdTrainer(steps, samples, seqKdLr);
    }

    public ToyGadTrainer gad() {
        return new ToyGadTrainer(steps, samples, gadStudentLr, discriminatorLr, discriminatorDecay);
    }

    /** Both methods, in the order they appear in tables and plots. */
    public List<StudentTrainer> trainers() {
        return List.of(seqKd(), gad());
    }

    public ToyConfig withSeeds(int newSeeds) {
        return new ToyConfig(classes, teacherModes, initMu, initSigma, steps, samples, seqKdLr, gadStudentLr,
                discriminatorLr, discriminatorDecay, newSeeds, firstSeed);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new UserError(message);
        }
    }
}
