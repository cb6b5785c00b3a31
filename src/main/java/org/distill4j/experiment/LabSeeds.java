package org.distill4j.experiment;

/**
 * Every random stream of the lab, in one place. Stages 0-1 and the validation samples use fixed seeds (the same
 * models and evaluation for every distillation seed); stage 2 derives its streams from the distillation seed s.
 * The values are those of earlier runs, kept so that a run directory made before reads back the same.
 */
final class LabSeeds {
    private LabSeeds() {}

    /** Stage 0: the oracle's initialisation and SFT. */
    static final long ORACLE = 11;
    /** Stage 1: the teacher's and the initial student's initialisation and SFT. */
    static final long TEACHER = 12;
    static final long STUDENT = 13;
    /** Stage 1: the oracle's answers that the teacher and the student are trained on. */
    static final long ORACLE_ANSWERS = 77;
    /** The fixed oracle and teacher samples on the validation prompts, and the evaluation's own sampling. */
    static final long VALIDATION_SAMPLES = 2000;
    static final long EVALUATION = 2003;

    /** Stage 2: the teacher's offline draws of distillation seed s. */
    static long teacherDraws(long s) {
        return 1000 + s;
    }

    /** Stage 2: online sampling (teacher or student) of distillation seed s. */
    static long onlineSampling(long s) {
        return 3000 + s;
    }

    /** Stage 2: the oracle's and the teacher's fixed samples on the first distillation prompts of seed s (the proxy on training prompts). */
    static long trainSamples(long s) {
        return 4000 + s;
    }

    /** Stage 2: the choice of a user's distillation prompts for seed s. */
    static long promptChoice(long s) {
        return s * 0x9E3779B97F4A7C15L + 17;
    }
}
