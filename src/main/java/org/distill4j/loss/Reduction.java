package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import org.distill4j.util.Scalars;

/**
 * How per-position divergences d [B, T] and a mask m [B, T] (1 = a response position to train on,
 * 0 = prompt or padding; fractional weights also work) become one scalar. Positions with m = 0 never
 * contribute, even if d is NaN there.
 */
public enum Reduction {
    /**
     * Σ m·d / Σ m: the mean over valid tokens, TRL's "batchmean" with labels (every token weighs the
     * same, so long responses dominate). 0, not NaN, when no position is valid.
     */
    TOKEN_MEAN {
        @Override
        public NDArray reduce(NDArray perPosition, NDArray mask) {
            NDArray total = masked(perPosition, mask).sum();
            NDArray count = mask.sum();
            NDArray safeCount = NDArrays.where(count.gt(0), count, Scalars.of(count, 1f));
            return total.div(safeCount);
        }
    },
    /**
     * (1/S)·Σ_b Σ_t m·d over the S sequences that have at least one valid position: each sequence's
     * summed divergence (a sequence-level KL for fkl/rkl), averaged over sequences. Sequences with no
     * valid position are left out of S rather than diluting the mean; 0 when S = 0.
     */
    SEQUENCE_MEAN {
        @Override
        public NDArray reduce(NDArray perPosition, NDArray mask) {
            NDArray total = masked(perPosition, mask).sum();
            NDArray sequences = mask.sum(new int[] {1}).gt(0).toType(mask.getDataType(), false).sum();
            NDArray safeSequences = NDArrays.where(sequences.gt(0), sequences, Scalars.of(sequences, 1f));
            return total.div(safeSequences);
        }
    },
    /**
     * Σ m·d, for callers that normalise themselves, e.g. by the valid tokens of a whole optimizer step
     * when it is split into micro-batches (as the SFT objective does).
     */
    SUM {
        @Override
        public NDArray reduce(NDArray perPosition, NDArray mask) {
            return masked(perPosition, mask).sum();
        }
    };

    /**
     * @param perPosition d, shape [B, T]
     * @param mask        m, shape [B, T], float
     * @return a scalar
     */
    public abstract NDArray reduce(NDArray perPosition, NDArray mask);

    /** m·d with masked-out positions forced to 0 (a where, since 0·NaN would still be NaN). */
    static NDArray masked(NDArray perPosition, NDArray mask) {
        if (!perPosition.getShape().equals(mask.getShape())) {
            throw new IllegalArgumentException("per-position shape " + perPosition.getShape() + " != mask shape " + mask.getShape());
        }
        NDArray weighted = perPosition.mul(mask);
        return NDArrays.where(mask.gt(0), weighted, Scalars.of(weighted, 0f));
    }
}
