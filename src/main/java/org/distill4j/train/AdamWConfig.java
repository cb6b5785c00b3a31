package org.distill4j.train;

/**
 * AdamW hyperparameters; defaults are torch.optim.AdamW's (betas 0.9/0.999, eps 1e-8, weight decay 0.01)
 * with norms, biases and embeddings exempt from decay. The learning rate is not here: it changes every step
 * and is passed to {@link AdamW#step(double)}.
 */
public record AdamWConfig(double beta1, double beta2, double eps, double weightDecay, WeightDecayPolicy decayPolicy) {
    public static final AdamWConfig DEFAULT = new AdamWConfig(0.9, 0.999, 1e-8, 0.01, WeightDecayPolicy.DEFAULT);

    public AdamWConfig {
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
        if (decayPolicy == null) {
            throw new IllegalArgumentException("decayPolicy is required");
        }
    }

    public AdamWConfig withBetas(double b1, double b2) {
        return new AdamWConfig(b1, b2, eps, weightDecay, decayPolicy);
    }

    public AdamWConfig withEps(double e) {
        return new AdamWConfig(beta1, beta2, e, weightDecay, decayPolicy);
    }

    public AdamWConfig withWeightDecay(double wd) {
        return new AdamWConfig(beta1, beta2, eps, wd, decayPolicy);
    }

    public AdamWConfig withDecayPolicy(WeightDecayPolicy policy) {
        return new AdamWConfig(beta1, beta2, eps, weightDecay, policy);
    }
}
