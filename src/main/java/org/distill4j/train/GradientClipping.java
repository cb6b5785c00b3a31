package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ computes it: the 2-norm of every
 * gradient (float32), the 2-norm of those norms, clip_coef = max_norm / (total + 1e-6), and all gradients
 * scaled in place by clip_coef when it is below 1. (DJL's optClipGrad clamps element-wise, and only from
 * above on PyTorch, so it is no substitute.) Parameters without a gradient are ignored, as torch ignores
 * those whose .grad is None.
 */
public final class GradientClipping {
    /** clip_grad_norm_'s guard against dividing by a zero norm. */
    static final float EPS = 1e-6f;

    private GradientClipping() {}

    /** The global 2-norm of all gradients; 0 when none exists; NaN or Inf if any gradient is not finite. */
    public static float totalNorm(Map<String, NDArray> params) {
        if (params.isEmpty()) {
            return 0f;
        }
        try (NDManager scope = scopeFor(params)) {
            return totalNorm(views(params, scope));
        }
    }

    /**
     * Clips the gradients to a global norm of at most {@code maxNorm} and returns the norm they had
     * before. When that norm is NaN or infinite the gradients are left as they are (torch would turn them
     * all into NaN): the caller should test {@link Float#isFinite} on the result and skip the step.
     */
    public static float clipByGlobalNorm(Map<String, NDArray> params, double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("max norm must be finite and > 0, got " + maxNorm);
        }
        if (params.isEmpty()) {
            return 0f;
        }
        try (NDManager scope = scopeFor(params)) {
            List<NDArray> grads = views(params, scope);
            float total = totalNorm(grads);
            if (!Float.isFinite(total)) {
                return total;
            }
            float coef = clipCoefficient(total, maxNorm);
            if (coef < 1f) {
                for (NDArray g : grads) {
                    g.muli(coef); // a float scalar: torch multiplies float32 gradients by a float32 coefficient
                }
            }
            return total;
        }
    }

    /**
     * torch writes max_norm / (total + 1e-6) with a tensor on the right, which Tensor.__rtruediv__ evaluates
     * as reciprocal(total + 1e-6) · max_norm in float32; the same two roundings are reproduced here.
     */
    static float clipCoefficient(float totalNorm, double maxNorm) {
        return (1f / (totalNorm + EPS)) * (float) maxNorm;
    }

    private static float totalNorm(List<NDArray> grads) {
        if (grads.isEmpty()) {
            return 0f;
        }
        NDList norms = new NDList(grads.size());
        for (NDArray g : grads) {
            norms.add(g.flatten().norm()); // flattened: a vector norm whatever the rank, never a matrix norm
        }
        return NDArrays.stack(norms).norm().getFloat();
    }

    private static List<NDArray> views(Map<String, NDArray> params, NDManager scope) {
        List<NDArray> grads = new ArrayList<>(params.size());
        for (NDArray p : params.values()) {
            NDArray g = Gradients.view(p, scope);
            if (g != null) {
                grads.add(g);
            }
        }
        return grads;
    }

    private static NDManager scopeFor(Map<String, NDArray> params) {
        return params.values().iterator().next().getManager().newSubManager();
    }
}
