package org.distill4j.gad;

import java.util.List;

/**
 * Settings of a GAD-family run (docs/gad.md). Defaults follow the paper and its reference scripts (N = 8 samples at
 * temperature 0.8, PPO clip 0.2, k3 KL β = 0.001, one D and one G update per step; the discriminator's learning rate
 * equal to the student's, gradient clip 0.2 for both, AdamW weight decay 0.01, warmup cross-entropy at the rollout
 * temperature) and are sized for CPU where the scale differs (learning rate, prompts per step): docs/gad.md,
 * "The reference recipe".
 *
 * @param phases           what trains when ({@link GadMethod#phases})
 * @param promptsPerStep   prompts of one step (each with its teacher response and N student samples)
 * @param microPrompts     prompts per forward/backward pass (memory bound); the step's loss is the same
 * @param samples          N: student samples per prompt
 * @param temperature      rollout temperature; the policy's log-probs are taken at the same temperature, and so is the
 *                         cross-entropy on the teacher's responses (warmup, SeqKD): the policy GRPO trains is the one
 *                         the warmup fitted
 * @param maxNewTokens     rollout length cap
 * @param generatorLr      constant LR of the student (after a linear warmup of {@code lrWarmupSteps})
 * @param discriminatorLr  constant LR of the discriminator (same warmup)
 * @param generatorClip    global gradient-norm clip of the student
 * @param discriminatorClip global gradient-norm clip of the discriminator (the paper's 0.2)
 * @param weightDecay      AdamW's decoupled weight decay of both models (norms, biases, embeddings exempt)
 * @param policy           PPO clip and k3 KL coefficient
 * @param evalEvery        evaluation every k steps (and at step 0 and at the end)
 * @param saveEvery        resumable checkpoint every k steps (and at the end)
 * @param logEvery         a metrics row every k steps
 * @param maxBadSteps      consecutive non-finite updates tolerated before the run aborts
 */
public record GadConfig(List<Phase> phases, int promptsPerStep, int microPrompts, int samples, double temperature,
                        int maxNewTokens, double generatorLr, double discriminatorLr, long lrWarmupSteps,
                        double generatorClip, double discriminatorClip, double weightDecay, PolicyLoss policy, long evalEvery, long saveEvery,
                        long logEvery, long seed, int maxBadSteps) {
    public GadConfig {
        phases = List.copyOf(phases);
        if (phases.isEmpty()) {
            throw new IllegalArgumentException("a run needs at least one phase with steps");
        }
        if (promptsPerStep < 1 || microPrompts < 1) {
            throw new IllegalArgumentException("prompts per step and per micro-batch must be >= 1");
        }
        if (samples < 2 && phases.stream().anyMatch(p -> p.generator() == Phase.GeneratorUpdate.POLICY_GRADIENT)) {
            throw new IllegalArgumentException("GRPO needs at least 2 samples per prompt (group-normalised advantages), got " + samples);
        }
        if (samples < 1) {
            throw new IllegalArgumentException("samples must be >= 1");
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("rollout temperature must be > 0, got " + temperature);
        }
    }

    /**
     * A config of these phases with every other setting at its default: the gad verb's flag defaults, kept in this
     * one place for library callers. Set what differs by name.
     */
    public static Builder of(List<Phase> phases) {
        return new Builder(phases);
    }

    /** Named construction of a {@link GadConfig}; starts from the defaults. */
    public static final class Builder {
        private final List<Phase> phases;
        private int promptsPerStep = 8;
        private int microPrompts = 8;
        private int samples = 8;
        private double temperature = 0.8;
        private int maxNewTokens = 128;
        private double generatorLr = 1e-5;
        /** null: the student's (the reference scripts' choice: equal learning rates). */
        private Double discriminatorLr;
        private long lrWarmupSteps;
        private double generatorClip = 0.2;
        private double discriminatorClip = 0.2;
        private double weightDecay = 0.01;
        private PolicyLoss policy = PolicyLoss.gad();
        private long evalEvery = 50;
        private long saveEvery = 50;
        private long logEvery = 1;
        private long seed;
        private int maxBadSteps = 5;

        private Builder(List<Phase> phases) {
            this.phases = phases;
        }

        /** Prompts per step, and per forward/backward pass (the same unless {@link #microPrompts} follows). */
        public Builder promptsPerStep(int v) {
            promptsPerStep = v;
            microPrompts = v;
            return this;
        }

        public Builder microPrompts(int v) {
            microPrompts = v;
            return this;
        }

        public Builder samples(int v) {
            samples = v;
            return this;
        }

        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        public Builder maxNewTokens(int v) {
            maxNewTokens = v;
            return this;
        }

        public Builder generatorLr(double v) {
            generatorLr = v;
            return this;
        }

        /** Unless set, the student's learning rate. */
        public Builder discriminatorLr(double v) {
            discriminatorLr = v;
            return this;
        }

        public Builder lrWarmupSteps(long v) {
            lrWarmupSteps = v;
            return this;
        }

        public Builder generatorClip(double v) {
            generatorClip = v;
            return this;
        }

        public Builder discriminatorClip(double v) {
            discriminatorClip = v;
            return this;
        }

        public Builder weightDecay(double v) {
            weightDecay = v;
            return this;
        }

        public Builder policy(PolicyLoss v) {
            policy = v;
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

        public GadConfig build() {
            return new GadConfig(phases, promptsPerStep, microPrompts, samples, temperature, maxNewTokens, generatorLr,
                    discriminatorLr == null ? generatorLr : discriminatorLr, lrWarmupSteps, generatorClip, discriminatorClip, weightDecay, policy, evalEvery, saveEvery, logEvery, seed, maxBadSteps);
        }
    }

    public long totalSteps() {
        long s = 0;
        for (Phase p : phases) {
            s += p.steps();
        }
        return s;
    }

    /** The phase that step {@code step} (0-based) belongs to. */
    /** Micro-batches of {@code n} prompt indices, [from, to) each, at most {@link #microPrompts} long. */
    public java.util.List<int[]> microBatches(int n) {
        java.util.List<int[]> out = new java.util.ArrayList<>();
        for (int s = 0; s < n; s += microPrompts) {
            out.add(new int[] {s, Math.min(n, s + microPrompts)});
        }
        return out;
    }

    /** The loop's cadence for these phases. */
    public org.distill4j.train.Trainer.Loop loop() {
        return new org.distill4j.train.Trainer.Loop(totalSteps(), evalEvery, saveEvery, logEvery, maxBadSteps, seed);
    }

    public Phase phaseAt(long step) {
        long end = 0;
        for (Phase p : phases) {
            end += p.steps();
            if (step < end) {
                return p;
            }
        }
        return phases.get(phases.size() - 1);
    }

    public boolean anyDiscriminator() {
        return phases.stream().anyMatch(Phase::needsRollout);
    }

    public boolean anyPolicyGradient() {
        return phases.stream().anyMatch(p -> p.generator() == Phase.GeneratorUpdate.POLICY_GRADIENT);
    }
}
