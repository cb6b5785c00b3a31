package org.distill4j.gad;

/**
 * A stretch of a GAD-family run: for {@code steps} optimizer steps, whether the discriminator trains
 * (Bradley–Terry on teacher vs. current-student pairs) and how the generator (the student) trains.
 */
public record Phase(String name, long steps, boolean trainDiscriminator, GeneratorUpdate generator) {
    public enum GeneratorUpdate {
        /** the generator is frozen */
        NONE,
        /** cross-entropy on the teacher responses (SeqKD; GAD's generator warmup) */
        CROSS_ENTROPY,
        /** GRPO on the discriminator's scores */
        POLICY_GRADIENT
    }

    public Phase {
        if (steps < 0) {
            throw new IllegalArgumentException("phase " + name + ": steps must be >= 0");
        }
    }

    /** Student samples are drawn when the discriminator trains on them or the generator learns from them. */
    public boolean needsRollout() {
        return trainDiscriminator || generator == GeneratorUpdate.POLICY_GRADIENT;
    }
}
