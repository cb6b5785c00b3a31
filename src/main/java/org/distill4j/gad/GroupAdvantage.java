package org.distill4j.gad;

import org.distill4j.util.Moments;

/**
 * GRPO's group-normalised advantages, as GAD uses them: for the N responses sampled for one prompt (a
 * group), with rewards r_i = D(x, y_i), A_i = (r_i − mean r) / (std r + ε), where std is the unbiased
 * sample standard deviation (divisor N − 1, torch.std's default) and ε = 1e-6 — verl's
 * {@code compute_grpo_outcome_advantage} with {@code norm_adv_by_std_in_grpo}. The trainer copies A_i to
 * every token of response i.
 *
 * <p>Edge cases: a group whose rewards are all equal gets exactly 0 (not the rounding residue of
 * r − mean, which ε would turn into noise); a group of one sample gets 0, because there is nothing to
 * compare it with (verl instead uses mean 0 and std 1 there, passing the raw reward through, which would
 * make a lone sample's advantage depend on the discriminator's arbitrary offset); an empty group gives
 * an empty row. Arithmetic is in double, rounded to float at the end.
 */
public final class GroupAdvantage {
    /** ε of the GAD / verl recipe. */
    public static final double DEFAULT_EPS = 1e-6;

    private GroupAdvantage() {}

    /** {@link #of(float[][], double)} with ε = {@value #DEFAULT_EPS}. */
    public static float[][] of(float[][] rewards) {
        return of(rewards, DEFAULT_EPS);
    }

    /**
     * @param rewards one row per group (prompt), one reward per sampled response; rows may differ in length
     * @param eps     added to the standard deviation, finite and ≥ 0
     * @return the advantages, in the shape of {@code rewards}
     * @throws IllegalArgumentException if a reward is NaN or infinite (naming the group and index), or a row is null
     */
    public static float[][] of(float[][] rewards, double eps) {
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
        }
        float[][] out = new float[rewards.length][];
        for (int g = 0; g < rewards.length; g++) {
            float[] group = rewards[g];
            if (group == null) {
                throw new IllegalArgumentException("group " + g + " is null");
            }
            for (int i = 0; i < group.length; i++) {
                if (!Float.isFinite(group[i])) {
                    throw new IllegalArgumentException("reward " + i + " of group " + g + " is not finite: " + group[i]);
                }
            }
            out[g] = normalise(group, eps);
        }
        return out;
    }

    private static float[] normalise(float[] group, double eps) {
        int n = group.length;
        float[] out = new float[n];
        if (n < 2 || allEqual(group)) {
            return out;
        }
        Moments m = Moments.of(group);
        double scale = m.sampleStd() + eps;
        for (int i = 0; i < n; i++) {
            out[i] = (float) ((group[i] - m.mean()) / scale);
        }
        return out;
    }

    private static boolean allEqual(float[] group) {
        for (float r : group) {
            if (r != group[0]) {
                return false;
            }
        }
        return true;
    }
}
