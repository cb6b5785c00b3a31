package org.distill4j.train;

/**
 * Learning rate as a pure function of the optimizer step: {@code lr(s)} is the rate for the update that
 * follows {@code s} completed updates, so the first update uses {@code lr(0)}.
 */
public sealed interface LrSchedule permits LrSchedule.Constant, LrSchedule.WarmupCosine {
    double lr(long step);

    static Constant constant(double lr) {
        return new Constant(lr);
    }

    /** Warmup from 0 to {@code peak} over {@code warmupSteps}, cosine down to {@code finalLr} at {@code totalSteps}. */
    static WarmupCosine warmupCosine(double peak, double finalLr, long warmupSteps, long totalSteps) {
        return new WarmupCosine(0, peak, finalLr, warmupSteps, totalSteps);
    }

    /**
     * The k-th update (k = 1 … W) at k/W of {@code peak}, then {@code peak} (GAD's schedule): a linear warmup that
     * starts at peak / W instead of 0, so no update is wasted at a zero rate.
     */
    static LrSchedule linearWarmup(double peak, long warmupSteps) {
        return warmupSteps <= 1 ? constant(peak) : new WarmupCosine(peak / warmupSteps, peak, peak, warmupSteps - 1, warmupSteps - 1);
    }

    record Constant(double value) implements LrSchedule {
        public Constant {
            requireRate("lr", value);
        }

        @Override
        public double lr(long step) {
            return value;
        }
    }

    /**
     * Linear warmup from {@code start} (at step 0) to {@code peak} (at {@code warmupSteps}), then half a
     * cosine from {@code peak} down to {@code finalLr} (reached at {@code totalSteps}), then constant at
     * {@code finalLr}:
     * <pre>
     *   s &lt; W:       start + (peak − start) · s / W
     *   W ≤ s &lt; T:   final + (peak − final) · ½ · (1 + cos(π · (s − W) / (T − W)))
     *   s ≥ T:       final
     * </pre>
     * W = 0 starts at the peak; W = T has no decay phase and drops to {@code finalLr} at T.
     */
    record WarmupCosine(double start, double peak, double finalLr, long warmupSteps, long totalSteps) implements LrSchedule {
        public WarmupCosine {
            requireRate("start", start);
            requireRate("peak", peak);
            requireRate("finalLr", finalLr);
            if (warmupSteps < 0 || totalSteps < warmupSteps) {
                throw new IllegalArgumentException("need 0 <= warmupSteps <= totalSteps, got warmupSteps="
                        + warmupSteps + ", totalSteps=" + totalSteps);
            }
        }

        @Override
        public double lr(long step) {
            if (step < 0) {
                throw new IllegalArgumentException("step must be >= 0, got " + step);
            }
            if (step < warmupSteps) {
                return start + (peak - start) * step / warmupSteps;
            }
            if (step >= totalSteps) {
                return finalLr;
            }
            double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
            // StrictMath: the same LR on every JVM, part of what makes a resumed run bit-identical
            return finalLr + (peak - finalLr) * 0.5 * (1 + StrictMath.cos(Math.PI * progress));
        }
    }

    private static void requireRate(String what, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(what + " must be a finite learning rate >= 0, got " + value);
        }
    }
}
