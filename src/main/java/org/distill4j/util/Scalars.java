package org.distill4j.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a constant on the autograd graph, in place of DJL's {@code mul(Number)} / {@code div(Number)}.
 *
 * <p>Why not DJL's own: on CPU, {@code NDManager.create(Number)} wraps a Java direct buffer in a tensor without
 * copying it ({@code torch::from_blob}), and {@code mul(Number)} closes that array as soon as the product exists.
 * Autograd keeps the constant for the backward pass (d(x·c)/dx = c), but nothing keeps the Java buffer: once it
 * is collected its memory is reused, and the backward pass multiplies by whatever lies there. We saw it as
 * gradients that differed from run to run on identical inputs (now and then NaN) through the attention's
 * 1/√d scale. Here the constant is allocated by PyTorch ({@code torch::full}), so the graph's reference keeps
 * it alive whatever happens to the Java handle.
 */
public final class Scalars {
    private Scalars() {}

    /** A 0-d constant of {@code like}'s type, owned by {@code like}'s manager. */
    public static NDArray of(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }

    /** x·c. */
    public static NDArray mul(NDArray x, double c) {
        try (NDArray s = of(x, c)) {
            return x.mul(s);
        }
    }

    /** x / c. */
    public static NDArray div(NDArray x, double c) {
        try (NDArray s = of(x, c)) {
            return x.div(s);
        }
    }
}
