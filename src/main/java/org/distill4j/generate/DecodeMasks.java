package org.distill4j.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.distill4j.lm.ModelConfig;

/**
 * The additive masks [B, 1, 1, P + S] of one decoding step over a cache whose entries carry their own positions (rows
 * seated at different steps leave gaps): slot s's query at position q sees entry j when the entry holds a position k of
 * its row with k ≤ q, within the window where one applies. The first P entries are the shared prompts
 * ({@link PromptGroups}; P = 0 without any): position j of the slot's group's prompt, hidden for slots without a group.
 *
 * @param full     for the layers without a window of their own (with the model's window where all layers share one)
 * @param windowed for the sliding layers of a model that mixes them with full ones, else null
 */
record DecodeMasks(NDArray full, NDArray windowed) {
    /** Additive mask value, as {@code Transformer}'s: finite, so a fully masked (empty) slot stays finite. */
    private static final float MASKED = -1e9f;

    /**
     * @param keyPos   keyPos[s][j]: the position held by entry j of slot s, or -1
     * @param queryPos the position of slot s's query, or -1 for an empty slot
     * @param length   entries in the cache after this step's write
     */
    static DecodeMasks of(NDManager m, ModelConfig config, int[][] keyPos, int[] queryPos, int length, PromptGroups groups) {
        NDArray full = build(m, keyPos, queryPos, length, groups, config.slidingWindow());
        NDArray windowed = config.mixedWindows() ? build(m, keyPos, queryPos, length, groups, config.windowTokens()) : null;
        return new DecodeMasks(full, windowed);
    }

    private static NDArray build(NDManager m, int[][] keyPos, int[] queryPos, int length, PromptGroups groups, int window) {
        int b = queryPos.length;
        int p = groups.prefixLength();
        int width = p + length;
        float[] mask = new float[b * width];
        Arrays.fill(mask, MASKED);
        for (int s = 0; s < b; s++) {
            int q = queryPos[s];
            if (q < 0) {
                continue;
            }
            int g = groups.group(s);
            for (int k = 0; g >= 0 && k < groups.length(g); k++) { // the shared prompt holds positions 0..len-1
                if (k <= q && (window <= 0 || q - k < window)) {
                    mask[s * width + k] = 0f;
                }
            }
            int[] pos = keyPos[s];
            for (int j = 0; j < length; j++) {
                int k = pos[j];
                if (k >= 0 && k <= q && (window <= 0 || q - k < window)) {
                    mask[s * width + p + j] = 0f;
                }
            }
        }
        return m.create(mask, new Shape(b, 1, 1, width));
    }
}
