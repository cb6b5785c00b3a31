package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import org.distill4j.util.Scalars;

/**
 * The partition of the vocabulary into k chosen classes plus one "tail" class holding everything else,
 * and the coarsening of a distribution onto it. Teacher and student are coarsened by the same code, so
 * every divergence on the k+1 classes is the exact divergence of the two coarsened distributions.
 */
final class TopKPartition {
    private TopKPartition() {}

    /**
     * log-probabilities [B, T, V] → [B, T, k+1]: the k gathered classes, then log(mass of the rest).
     * The tail is a log-sum-exp over the classes outside {@code indices}, not log(1 − Σ top-k), so it has
     * no cancellation when the top-k hold almost all the mass, is exactly −∞ when k = V, and its gradient
     * stays finite.
     *
     * @param indices int64 [B, T, k] along the last axis, no repeats within a row
     */
    static NDArray coarsen(NDArray logProbs, NDArray indices) {
        int classAxis = LogSpace.lastAxis(logProbs);
        NDArray chosen = logProbs.gather(indices, classAxis);
        NDArray rest = NDArrays.where(membership(indices, logProbs).logicalNot(), logProbs, Scalars.of(logProbs, LogSpace.NEG_INF));
        NDArray tail = LogSpace.logSumExp(rest, classAxis).expandDims(classAxis);
        return chosen.concat(tail, classAxis);
    }

    /** Boolean [B, T, V] (the shape of {@code like}): true at the classes listed in {@code indices}. */
    static NDArray membership(NDArray indices, NDArray like) {
        NDArray none = like.getManager().zeros(like.getShape(), DataType.BOOLEAN);
        NDArray marks = like.getManager().ones(indices.getShape(), DataType.BOOLEAN);
        return none.scatter(indices, marks, LogSpace.lastAxis(like));
    }
}
