package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;
import java.util.Optional;

/**
 * Access to the gradients DJL's GradientCollector leaves on parameters, working around two engine
 * behaviours: {@code NDArray.getGradient()} returns a fresh zeros array (in the parameter's manager, so
 * it leaks until the model closes) when no backward pass has reached the parameter yet, and every call
 * wraps the gradient in a new NDArray attached to the parameter's manager.
 */
public final class Gradients {
    private Gradients() {}

    /**
     * The gradient of {@code param} as an in-place view attached to {@code owner} (closing it releases
     * only the view, never the gradient itself), or null when the parameter does not require a gradient or
     * no backward pass has produced one. Writes to the view change the gradient.
     */
    public static NDArray view(NDArray param, NDManager owner) {
        if (!param.hasGradient()) {
            return null;
        }
        NDArray grad = param instanceof PtNDArray pt ? JniUtils.getGradient(pt) : param.getGradient();
        if (grad != null) {
            grad.attach(owner);
        }
        return grad;
    }

    /** Sets every existing gradient to 0 in place (fills, so NaN or Inf entries are cleared too). */
    public static void zero(Map<String, NDArray> params) {
        for (NDArray p : params.values()) {
            if (!p.hasGradient()) {
                continue;
            }
            if (!(p instanceof PtNDArray pt)) {
                throw new UnsupportedOperationException("gradients can only be zeroed on the PyTorch engine");
            }
            JniUtils.zeroGrad(pt); // a no-op when no gradient exists yet
        }
    }

    /** The name of the first parameter whose gradient holds a NaN or an infinity, if any. */
    public static Optional<String> firstNonFinite(Map<String, NDArray> params) {
        if (params.isEmpty()) {
            return Optional.empty();
        }
        NDManager any = params.values().iterator().next().getManager();
        try (NDManager scope = any.newSubManager()) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray g = view(e.getValue(), scope);
                // x·0 is 0 for every finite x and NaN for NaN/±Inf, so one reduction answers the question
                if (g != null && Float.isNaN(g.mul(0f).sum().getFloat())) {
                    return Optional.of(e.getKey());
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Runs {@code body} with autograd recording off on this thread (restored afterwards): an optimizer
     * step may then run even inside an open GradientCollector, where PyTorch rejects in-place updates of
     * leaf tensors that require a gradient.
     */
    static void withoutGradMode(Runnable body) {
        boolean was = JniUtils.isGradMode();
        if (was) {
            JniUtils.setGradMode(false);
        }
        try {
            body.run();
        } finally {
            if (was) {
                JniUtils.setGradMode(true);
            }
        }
    }
}
