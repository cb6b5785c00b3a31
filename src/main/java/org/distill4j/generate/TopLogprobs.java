package org.distill4j.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;

/**
 * The k most likely next tokens at one position, most likely first, with their log-probabilities under
 * the model at temperature 1 (the full log-softmax, before any temperature / top-k / top-p): what a
 * white-box teacher hands to a student.
 */
public record TopLogprobs(long[] ids, float[] logprobs) {
    public TopLogprobs {
        if (ids.length != logprobs.length) {
            throw new IllegalArgumentException("ids and logprobs differ in length: " + ids.length + " vs " + logprobs.length);
        }
    }

    public int size() {
        return ids.length;
    }

    /** The k largest entries of each row of a [B, V] log-softmax (k is capped at V). */
    public static TopLogprobs[] ofRows(NDArray logSoftmax, int k) {
        int b = (int) logSoftmax.getShape().get(0);
        int kk = (int) Math.min(k, logSoftmax.getShape().get(1));
        NDList best = logSoftmax.topK(kk, -1, true, true);
        float[] values = best.get(0).toType(DataType.FLOAT32, false).toFloatArray();
        long[] ids = best.get(1).toType(DataType.INT64, false).toLongArray();
        TopLogprobs[] out = new TopLogprobs[b];
        for (int r = 0; r < b; r++) {
            out[r] = new TopLogprobs(Arrays.copyOfRange(ids, r * kk, (r + 1) * kk),
                    Arrays.copyOfRange(values, r * kk, (r + 1) * kk));
        }
        return out;
    }
}
