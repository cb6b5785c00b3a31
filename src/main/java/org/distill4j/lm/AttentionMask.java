package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Additive attention masks: 0 where query i may attend key j, {@link Transformer#MASKED} elsewhere.
 * Query i of a step sits at cache index {@code past + i}; keys are cache indices 0..S-1.
 */
public final class AttentionMask {
    private AttentionMask() {}

    /** Causal mask [1, 1, T, past + T] shared by every row (no padding on the key side). */
    public static NDArray causal(NDManager m, int t, int past, int window) {
        return build(m, null, t, past, window);
    }

    /**
     * Causal mask [B, 1, T, S] that also hides keys whose {@code keyValid[b][j]} is false (left padding
     * in batched generation). {@code keyValid[b].length} must be {@code past + t}.
     */
    public static NDArray padded(NDManager m, boolean[][] keyValid, int t, int past, int window) {
        return build(m, keyValid, t, past, window);
    }

    private static NDArray build(NDManager m, boolean[][] keyValid, int t, int past, int window) {
        int s = past + t;
        int rows = keyValid == null ? 1 : keyValid.length;
        float[] mask = new float[rows * t * s];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < t; i++) {
                int q = past + i;
                int base = (b * t + i) * s;
                for (int j = 0; j < s; j++) {
                    boolean ok = j <= q && (window <= 0 || q - j < window) && (keyValid == null || keyValid[b][j]);
                    mask[base + j] = ok ? 0f : Transformer.MASKED;
                }
            }
        }
        return m.create(mask, new Shape(rows, 1, t, s));
    }
}
