package org.distill4j.gad;

import java.util.List;

/**
 * Settings of a GAD-family run (docs/gad.md). Defaults follow the paper where it is explicit (N = 8
 * samples at temperature 0.8, clip 0.2, k3 KL β = 0.001, discriminator gradient clip 0.2, one D and one
 * G update per step) and are sized for CPU elsewhere.
 *
 * @param phases           what trains when ({@link GadMethod#phases})
 * @param promptsPerStep   prompts of one step (each with its teacher response and N student samples)
 * @param microPrompts     prompts per forward/backward pass (memory bound); the step's loss is the same
 * @param samples          N: student samples per prompt
 * @param temperature      rollout temperature; the policy's log-probs are taken at the same temperature
 * @param maxNewTokens     rollout length cap
 * @param generatorLr      constant LR of the student (after a linear warmup of {@code lrWarmupSteps})
 * @param discriminatorLr  constant LR of the discriminator (same warmup)
 * @param generatorClip    global gradient-norm clip of the student
 * @param discriminatorClip global gradient-norm clip of the discriminator (the paper's 0.2)
 * @param policy           PPO clip and k3 KL coefficient
 * @param evalEvery        evaluation every k steps (and at step 0 and at the end)
 * @param saveEvery        resumable checkpoint every k steps (and at the end)
 * @param logEvery         a metrics row every k steps
 * @param maxBadSteps      consecutive non-finite updates tolerated before the run aborts
 */
public record GadConfig(List<Phase> phases, int promptsPerStep, int microPrompts, int samples, double temperature,
                        int maxNewTokens, double generatorLr, double discriminatorLr, long lrWarmupSteps,
                        double generatorClip, double discriminatorClip, PolicyLoss policy, long evalEvery, long saveEvery,
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
        return new org.distill4j.train.Trainer.Loop(totalSteps(), evalEvery, saveEvery, logEvery, maxBadSteps);
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
