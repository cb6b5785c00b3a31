package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.SplittableRandom;

/**
 * PEFT's lora_dropout: the adapters' inputs are dropped with probability p (and the rest scaled by 1/(1-p)) during
 * training passes only. The masks are drawn in Java from a seed the training step gives each pass, not from the
 * engine's RNG, so a run stays a function of its seed and its step (exact resume). One stream serves all adapters of
 * a model; the forward pass visits them in a fixed order, so the masks follow from the seed alone.
 */
public final class LoraDropout {
    private final double p;
    private SplittableRandom rng;
    private NDManager manager;

    LoraDropout(double p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + p);
        }
        this.p = p;
    }

    public double probability() {
        return p;
    }

    /**
     * Drops inputs in the passes until {@link #end}; the masks live in {@code m} (the pass's manager, which must stay
     * open until after the backward pass: the graph keeps them).
     */
    public void begin(NDManager m, long seed) {
        rng = new SplittableRandom(seed);
        manager = m;
    }

    /** Back to inference: no dropout. */
    public void end() {
        rng = null;
        manager = null;
    }

    NDArray apply(NDArray x) {
        if (p == 0 || rng == null) {
            return x;
        }
        int n = Math.toIntExact(x.size());
        float keep = (float) (1 / (1 - p));
        float[] mask = new float[n];
        for (int i = 0; i < n; i++) {
            mask[i] = rng.nextDouble() < p ? 0f : keep;
        }
        return x.mul(manager.create(mask, x.getShape()));
    }
}
