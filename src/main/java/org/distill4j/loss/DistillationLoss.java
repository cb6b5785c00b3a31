package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.distill4j.util.Scalars;

/**
 * A white-box distillation loss: a {@link Divergence} between the teacher's (p) and the student's (q)
 * next-token distributions at each position, both taken at the same softmax temperature τ
 * (p = softmax(teacher logits / τ), q = softmax(student logits / τ)), as in TRL. The loss is not
 * multiplied by τ² (Hinton's gradient-scale correction); scale it yourself if you want it.
 *
 * <p>Gradients flow into the student logits only. Results belong to the student logits' manager and
 * must live until backward(), so run each step inside its own sub-manager. Temporaries are released
 * before returning; what backward needs is kept alive by autograd itself (for JSD on [B, T, V] that is
 * still several [B, T, V] tensors: the training verbs go through {@link ChunkedHeadLoss}, which keeps none).
 *
 * <p>NaN safety: positions with mask 0 have their logits replaced by zeros before anything else, so
 * padding rows of garbage (all −∞ or NaN, e.g. from fully masked attention) can neither make the loss
 * NaN nor send NaN into the gradient; −∞ logits at valid positions are handled by the divergences
 * ({@link LogSpace}).
 */
public record DistillationLoss(Divergence divergence, double temperature) {
    public DistillationLoss {
        if (divergence == null) {
            throw new IllegalArgumentException("divergence is required");
        }
        checkTemperature(temperature);
    }

    /**
     * Per-position divergence over all positions (no mask).
     *
     * @param studentLogits [B, T, V], requires gradient
     * @param teacherLogits [B, T, V]
     * @return [B, T]
     */
    public NDArray perToken(NDArray studentLogits, NDArray teacherLogits) {
        Shape shape = studentLogits.getShape();
        checkLogits(studentLogits, teacherLogits.getShape());
        try (NDManager scope = studentLogits.getManager().newSubManager()) {
            return perToken(studentLogits, teacherLogits, scope.ones(new Shape(shape.get(0), shape.get(1))));
        }
    }

    /**
     * Per-position divergence, 0 at positions where {@code mask} is 0.
     *
     * @param mask float [B, T], 1 at response positions to train on
     * @return [B, T], owned by the student logits' manager
     */
    public NDArray perToken(NDArray studentLogits, NDArray teacherLogits, NDArray mask) {
        checkLogits(studentLogits, teacherLogits.getShape());
        checkMask(mask, studentLogits.getShape());
        NDManager owner = studentLogits.getManager();
        // Intermediates live in a scope closed before returning: autograd keeps its own references to the
        // tensors backward needs, so only those survive, not every [B, T, V] temporary.
        try (NDManager scope = owner.newSubManager()) {
            if (divergence instanceof ForwardKl && plainCase(mask, teacherLogits, scope)) {
                // the common case (every position valid, finite teacher logits) needs none of the masking
                // passes over [B, T, V]: p > 0 or p underflows to an exact 0 with a finite log p, so
                // Σ p·(log p − log q) has no 0·∞ term
                // views owned by the scope (the student's keeps its gradient), so no intermediate outlives the call
                NDArray teacher = own(scope, teacherLogits.stopGradient());
                NDArray student = own(scope, studentLogits.reshape(studentLogits.getShape()));
                NDArray logP = logProbs(teacher, temperature);
                NDArray logQ = logProbs(student, temperature);
                return own(owner, logP.exp().mul(logP.sub(logQ)).sum(new int[] {LogSpace.lastAxis(logP)}));
            }
            NDArray valid = own(scope, mask.gt(0));
            NDArray teacher = onlyValid(own(scope, teacherLogits.stopGradient()), valid);
            NDArray student = own(scope, onlyValid(studentLogits, valid));
            NDArray d = divergence.between(logProbs(teacher, temperature), logProbs(student, temperature));
            return own(owner, NDArrays.where(valid, d, Scalars.of(d, 0f)));
        }
    }

    /**
     * Per-position divergence against a top-k teacher, on the k+1 classes (its k ids plus the tail);
     * the student is coarsened onto the same classes. 0 where {@code mask} is 0.
     *
     * @throws IllegalArgumentException if the teacher's temperature or vocabulary differs from this loss's
     */
    public NDArray perToken(NDArray studentLogits, SparseTeacher.Tensors teacher, NDArray mask) {
        Shape shape = studentLogits.getShape();
        checkLogits(studentLogits, shape);
        checkMask(mask, shape);
        if (Double.compare(teacher.temperature(), temperature) != 0) {
            throw new IllegalArgumentException("the sparse teacher was made at temperature " + teacher.temperature()
                    + " but the loss uses " + temperature + " (the tail mass depends on it)");
        }
        if (shape.get(2) != teacher.vocabSize()) {
            throw new IllegalArgumentException("student vocabulary " + shape.get(2) + " != teacher vocabulary " + teacher.vocabSize());
        }
        Shape expected = new Shape(shape.get(0), shape.get(1), teacher.k() + 1);
        if (!teacher.logProbs().getShape().equals(expected)) {
            throw new IllegalArgumentException("sparse teacher log-probs " + teacher.logProbs().getShape() + ", expected " + expected);
        }
        NDManager owner = studentLogits.getManager();
        try (NDManager scope = owner.newSubManager()) {
            NDArray valid = own(scope, mask.gt(0));
            NDArray student = own(scope, onlyValid(studentLogits, valid));
            NDArray studentCoarse = TopKPartition.coarsen(logProbs(student, temperature), teacher.indices());
            // a uniform stand-in where the cached teacher may hold NaN from padding rows
            NDArray cached = own(scope, teacher.logProbs().stopGradient());
            NDArray teacherCoarse = NDArrays.where(alongClasses(valid, cached), cached,
                    Scalars.of(cached, -Math.log(teacher.k() + 1)));
            NDArray d = divergence.between(teacherCoarse, studentCoarse);
            return own(owner, NDArrays.where(valid, d, Scalars.of(d, 0f)));
        }
    }

    /** {@link #perToken(NDArray, NDArray, NDArray)} reduced to a differentiable scalar. */
    public NDArray loss(NDArray studentLogits, NDArray teacherLogits, NDArray mask, Reduction reduction) {
        return reduction.reduce(perToken(studentLogits, teacherLogits, mask), mask);
    }

    /** {@link #perToken(NDArray, SparseTeacher.Tensors, NDArray)} reduced to a differentiable scalar. */
    public NDArray loss(NDArray studentLogits, SparseTeacher.Tensors teacher, NDArray mask, Reduction reduction) {
        return reduction.reduce(perToken(studentLogits, teacher, mask), mask);
    }

    /** log softmax(logits / τ) over the vocabulary axis, in float32 whatever the logits' type. */
    static NDArray logProbs(NDArray logits, double temperature) {
        NDArray wide = logits.toType(DataType.FLOAT32, false);
        NDArray scaled = temperature == 1 ? wide : Scalars.div(wide, temperature);
        return scaled.logSoftmax(LogSpace.lastAxis(scaled));
    }

    static void checkTemperature(double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
        }
    }

    /** Every position is valid and no teacher logit is ±∞ or NaN (two reductions over the teacher logits). */
    private static boolean plainCase(NDArray mask, NDArray teacherLogits, NDManager scope) {
        // detached views owned by the scope, so every intermediate below lands (and dies) in it
        NDArray m = own(scope, mask.stopGradient());
        if (m.min().toType(DataType.FLOAT32, false).toFloatArray()[0] <= 0) {
            return false;
        }
        NDArray t = own(scope, teacherLogits.stopGradient());
        // max is NaN if any entry is NaN and +∞ if any is; min is −∞ if any is: two reductions, no temporaries
        float max = t.max().toType(DataType.FLOAT32, false).toFloatArray()[0];
        float min = t.min().toType(DataType.FLOAT32, false).toFloatArray()[0];
        return Float.isFinite(max) && Float.isFinite(min);
    }

    /**
     * Zeros the logits of masked-out positions (see the class comment). The result belongs to the
     * logits' manager; the helper arrays to {@code valid}'s.
     */
    static NDArray onlyValid(NDArray logits, NDArray valid) {
        NDArray zero = valid.getManager().full(new Shape(), 0f, logits.getDataType());
        return NDArrays.where(alongClasses(valid, logits), logits, zero);
    }

    /** Moves {@code a} into {@code manager} (ops put results in their first input's manager). */
    static NDArray own(NDManager manager, NDArray a) {
        a.attach(manager);
        return a;
    }

    /** valid [B, T] broadcast to {@code like}'s [B, T, C] (DJL's where does not broadcast its condition). */
    static NDArray alongClasses(NDArray valid, NDArray like) {
        return valid.expandDims(2).broadcast(like.getShape());
    }

    private static void checkLogits(NDArray studentLogits, Shape teacherShape) {
        Shape shape = studentLogits.getShape();
        if (shape.dimension() != 3) {
            throw new IllegalArgumentException("student logits must be [B, T, V], got " + shape);
        }
        if (!shape.equals(teacherShape)) {
            throw new IllegalArgumentException("student logits " + shape + " != teacher logits " + teacherShape);
        }
    }

    private static void checkMask(NDArray mask, Shape logits) {
        Shape expected = new Shape(logits.get(0), logits.get(1));
        if (!mask.getShape().equals(expected)) {
            throw new IllegalArgumentException("mask must be " + expected + ", got " + mask.getShape());
        }
    }
}
