package org.distill4j.train;

/**
 * Hyper-parameters shared by every training verb.
 *
 * @param steps          optimizer steps in total
 * @param accumulation   micro-batches per optimizer step
 * @param warmupSteps    linear warmup from 0 to {@code lr}
 * @param finalLr        cosine decay ends here at {@code steps}
 * @param maxGradNorm    global-norm clipping threshold (≤ 0 disables)
 * @param evalEvery      validation every k steps (and at the end); 0 = only at the end
 * @param saveEvery      resumable checkpoint every k steps (and at the end)
 * @param logEvery       a metrics row every k steps
 * @param maxBadSteps    consecutive non-finite steps tolerated before the run aborts
 */
public record TrainConfig(long steps, int accumulation, double lr, double finalLr, long warmupSteps, double weightDecay,
                          double maxGradNorm, long evalEvery, long saveEvery, long logEvery, long seed, int maxBadSteps) {
    public TrainConfig {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1");
        }
        if (accumulation < 1) {
            throw new IllegalArgumentException("gradient accumulation must be >= 1");
        }
    }

    /**
     * A config of {@code steps} steps with every other setting at its default: the defaults of the training verbs'
     * flags (cli.TrainOptions), kept in this one place for library callers. Set what differs by name.
     */
    public static Builder steps(long steps) {
        return new Builder(steps);
    }

    /** Named construction of a {@link TrainConfig}; starts from the defaults. */
    public static final class Builder {
        private final long steps;
        private int accumulation = 1;
        private double lr = 3e-4;
        private double finalLr = 3e-5;
        private long warmupSteps = 20;
        private double weightDecay = 0.01;
        private double maxGradNorm = 1.0;
        private long evalEvery = 100;
        private long saveEvery = 100;
        private long logEvery = 10;
        private long seed;
        private int maxBadSteps = 5;

        private Builder(long steps) {
            this.steps = steps;
        }

        public Builder accumulation(int v) {
            accumulation = v;
            return this;
        }

        /** The peak learning rate; the final one follows it down only if it was above it. */
        public Builder lr(double v) {
            lr = v;
            return this;
        }

        public Builder finalLr(double v) {
            finalLr = v;
            return this;
        }

        /** A constant learning rate after the warmup: the final rate equal to the peak. */
        public Builder constantLr(double v) {
            lr = v;
            finalLr = v;
            return this;
        }

        public Builder warmupSteps(long v) {
            warmupSteps = v;
            return this;
        }

        public Builder weightDecay(double v) {
            weightDecay = v;
            return this;
        }

        public Builder maxGradNorm(double v) {
            maxGradNorm = v;
            return this;
        }

        public Builder evalEvery(long v) {
            evalEvery = v;
            return this;
        }

        public Builder saveEvery(long v) {
            saveEvery = v;
            return this;
        }

        public Builder logEvery(long v) {
            logEvery = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder maxBadSteps(int v) {
            maxBadSteps = v;
            return this;
        }

        public TrainConfig build() {
            return new TrainConfig(steps, accumulation, lr, finalLr, warmupSteps, weightDecay, maxGradNorm, evalEvery, saveEvery,
                    logEvery, seed, maxBadSteps);
        }
    }

    public LrSchedule schedule() {
        return LrSchedule.warmupCosine(lr, finalLr, Math.min(warmupSteps, steps), steps);
    }

    public Trainer.Loop loop() {
        return new Trainer.Loop(steps, evalEvery, saveEvery, logEvery, maxBadSteps, seed);
    }

    public AdamWConfig adamw() {
        return AdamWConfig.DEFAULT.withWeightDecay(weightDecay);
    }
}
