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

    public LrSchedule schedule() {
        return LrSchedule.warmupCosine(lr, finalLr, Math.min(warmupSteps, steps), steps);
    }

    public Trainer.Loop loop() {
        return new Trainer.Loop(steps, evalEvery, saveEvery, logEvery, maxBadSteps);
    }

    public AdamWConfig adamw() {
        return AdamWConfig.DEFAULT.withWeightDecay(weightDecay);
    }
}
