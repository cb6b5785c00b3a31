package org.distill4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.util.Scalars;

/**
 * The student's LM head and a {@link DistillationLoss} evaluated together, a block of rows at a time, with
 * the gradient of the head's output taken during the forward pass: the "fused linear" losses of
 * Liger-Kernel, built from the engine's own ops because DJL has no custom autograd functions.
 *
 * <p>Per block of {@code rows} positions: the student's logits come from its detached hidden states, the
 * block's loss is differentiated on the spot (with the divergence's ordinary autograd code, so every
 * divergence, temperature and mask works unchanged), and the logits' gradient G is turned at once into
 * G·W for the hidden states and Gᵀ·h for the head weight. The returned objective is
 * Σ h⊙gradH + Σ W⊙gradW, shifted to the loss's value: its backward pass delivers exactly those gradients
 * to the rest of the network. Neither model's [N, V] logits exist at once, and the graph keeps no
 * [N, V] tensor for backward; with a large vocabulary that is most of a step's memory. The [N, V] passes
 * of the loss run on blocks that stay in cache (bench kd: see README).
 *
 * <p>With {@code loss} null it computes the cross-entropy term alone (supervised training, no teacher). When
 * all rows fit in one block it simply differentiates through the head (nothing to save).
 */
public record ChunkedHeadLoss(DistillationLoss loss, int rows, double logitSoftcap) {
    /**
     * @param logitSoftcap the student's final logit soft-capping (logits = cap·tanh(h·Wᵀ / cap), Gemma 2's
     *                     final_logit_softcapping), or 0 for none
     */
    public ChunkedHeadLoss {
        if (rows < 1) {
            throw new IllegalArgumentException("rows per block must be >= 1, got " + rows);
        }
        if (!(logitSoftcap >= 0)) {
            throw new IllegalArgumentException("logit soft-capping must be >= 0, got " + logitSoftcap);
        }
    }

    /** Without logit soft-capping. */
    public ChunkedHeadLoss(DistillationLoss loss, int rows) {
        this(loss, rows, 0);
    }

    /** Elements of one [rows, V] block: 16 MiB of float32, which stays in this machine's cache (see {@link #rowsFor}). */
    static final int BLOCK_ELEMENTS = Integer.getInteger("distill4j.headBlockElements", 1 << 22);

    /**
     * Rows per block for a vocabulary of {@code vocab} ids: a block of about {@link #BLOCK_ELEMENTS} logits,
     * at least 16 rows (fewer make the head's matmuls inefficient).
     */
    public static int rowsFor(int vocab) {
        return Math.max(16, BLOCK_ELEMENTS / Math.max(1, vocab));
    }

    /** Whether {@code rows} rows take the block-wise path at {@link #rowsFor}({@code vocab}) rows per block. */
    public static boolean blockWise(long rows, int vocab) {
        return rows > rowsFor(vocab);
    }

    /**
     * The teacher's side of the rows [from, to): its logits [1, to−from, V] (for the loss unless {@code sparse}
     * is given, and for the diagnostics), or a top-k teacher over those rows, or both.
     */
    public record TeacherBlock(NDArray logits, SparseTeacher.Tensors sparse) {
        public TeacherBlock {
            if (logits == null && sparse == null) {
                throw new IllegalArgumentException("a teacher block needs logits or a sparse teacher");
            }
        }
    }

    /** Produces the teacher's block for rows [from, to), owned by {@code m}, without gradient. */
    @FunctionalInterface
    public interface TeacherRows {
        TeacherBlock rows(int from, int to, NDManager m);
    }

    /**
     * @param objective    scale·Σ_r w_r·(d_r + ceWeight·nll_r), differentiable into the student (hidden states
     *                     and head weight); owned by the hidden states' manager
     * @param divergence   Σ_r w_r·d_r (unscaled)
     * @param nll          Σ_r w_r·nll_r, the student's negative log-likelihood of the targets (0 without targets)
     * @param diagnostics  over the rows with w > 0, or null when not asked for
     */
    public record Result(NDArray objective, double divergence, double nll, Diagnostics diagnostics) {}

    /**
     * @param hidden       the student's final hidden states at the N rows [N, H], part of the autograd graph
     * @param head         the student's LM head weight [V_s, H] (the tied embedding or lm_head)
     * @param vocab        the classes compared: the first {@code vocab} logits of both models (vocabularies that
     *                     differ only by padding)
     * @param weights      float [N], w_r ≥ 0; rows with w = 0 contribute nothing, whatever their logits
     * @param targets      int64 [N] next tokens for the cross-entropy term, or null when {@code ceWeight} is 0
     * @param scale        multiplies the objective (e.g. 1 / tokens of the optimizer step)
     * @param diagnosticsK the k of the {@link Diagnostics} (at τ = 1), or 0 for none
     */
    public Result compute(NDArray hidden, NDArray head, int vocab, TeacherRows teacher, NDArray weights, NDArray targets,
                          double ceWeight, double scale, int diagnosticsK) {
        Shape hs = hidden.getShape();
        if (hs.dimension() != 2 || head.getShape().dimension() != 2 || head.getShape().get(1) != hs.get(1)) {
            throw new IllegalArgumentException("hidden " + hs + " and head " + head.getShape() + " must be [N, H] and [V, H]");
        }
        int n = Math.toIntExact(hs.get(0));
        if (!weights.getShape().equals(new Shape(n))) {
            throw new IllegalArgumentException("weights must be [" + n + "], got " + weights.getShape());
        }
        if ((loss == null) != (teacher == null)) {
            throw new IllegalArgumentException("a teacher is needed exactly when there is a divergence");
        }
        if (loss == null && ceWeight == 0) {
            throw new IllegalArgumentException("without a divergence the cross-entropy weight must not be 0");
        }
        if (ceWeight != 0 && targets == null) {
            throw new IllegalArgumentException("a cross-entropy weight needs targets");
        }
        if (vocab < 1 || vocab > head.getShape().get(0)) {
            throw new IllegalArgumentException("vocab " + vocab + " outside [1, " + head.getShape().get(0) + "]");
        }
        if (n <= rows) {
            return whole(hidden, head, vocab, teacher, weights, targets, ceWeight, scale, diagnosticsK);
        }
        boolean training = JniUtils.isGradMode();
        NDManager owner = hidden.getManager();
        try (NDManager scope = owner.newSubManager()) {
            JniUtils.setGradMode(false);
            NDArray h = own(scope, hidden.stopGradient());
            NDArray w = own(scope, head.stopGradient()).get(new NDIndex(":" + vocab));
            NDArray wt = own(scope, weights.stopGradient());
            NDArray tg = targets == null ? null : own(scope, targets.stopGradient());
            // a frozen head (LoRA trains adapters only) gets no [V, H] gradient: neither its buffer nor its matmuls
            boolean headTrains = training && head.hasGradient();
            NDArray gradHead = headTrains ? scope.zeros(new Shape(vocab, hs.get(1)), hidden.getDataType()) : null;
            NDList gradHidden = new NDList();
            double divergence = 0;
            double nll = 0;
            List<Diagnostics> diagnostics = new ArrayList<>();
            for (int from = 0; from < n; from += rows) {
                int to = Math.min(n, from + rows);
                try (NDManager block = scope.newSubManager()) {
                    NDArray hb = rows(h, from, to, block);
                    NDArray raw = linear(hb, w).expandDims(0);
                    TeacherBlock t = teacher == null ? null : teacher.rows(from, to, block);
                    NDArray valid = rows(wt, from, to, block).expandDims(0);
                    if (training) {
                        raw.setRequiresGradient(true);
                        JniUtils.setGradMode(true);
                    }
                    NDArray logits = capped(raw); // on the graph: the gradient below is the head output's, before the cap
                    NDArray tb = tg == null ? null : rows(tg, from, to, block).reshape(1, to - from, 1);
                    BlockLoss b = blockLoss(logits, t, valid, tb, ceWeight);
                    NDArray objective = b.objective();
                    divergence += b.divergence() == null ? 0 : b.divergence().getFloat();
                    nll += b.nll() == null ? 0 : b.nll().getFloat();
                    if (training) {
                        NDArray scaled = Scalars.mul(objective, scale);
                        JniUtils.backward((PtNDArray) scaled, (PtNDArray) scaled.onesLike(), false, false);
                        JniUtils.setGradMode(false);
                        NDArray g = raw.getGradient().squeeze(0);
                        gradHidden.add(own(scope, g.matMul(w)));
                        if (headTrains) {
                            gradHead.addi(g.transpose().matMul(hb));
                        }
                    }
                    if (diagnosticsK > 0 && t != null) {
                        diagnostics.add(diagnose(logits, t, valid, diagnosticsK));
                    }
                }
            }
            NDArray value = owner.create((float) (scale * (divergence + ceWeight * nll)));
            NDArray objective = value;
            if (training) {
                JniUtils.setGradMode(true);
                NDArray gh = NDArrays.concat(gradHidden);
                NDArray surrogate = hidden.mul(gh).sum();
                if (headTrains) {
                    NDArray gw = gradHead;
                    long extra = head.getShape().get(0) - vocab;
                    if (extra > 0) {
                        gw = gw.concat(scope.zeros(new Shape(extra, hs.get(1)), gw.getDataType()));
                    }
                    surrogate = surrogate.add(head.mul(gw).sum());
                }
                objective = own(owner, surrogate.sub(surrogate.stopGradient()).add(value));
            }
            return new Result(objective, divergence, nll, diagnostics.isEmpty() ? null : Diagnostics.combine(diagnostics));
        } finally {
            JniUtils.setGradMode(training);
        }
    }

    /**
     * All rows in one block: nothing to save, so the head and the loss go on the ordinary autograd graph (the
     * block-wise gradient would only add ops: ≈ 10 % of a tiny model's step).
     */
    private Result whole(NDArray hidden, NDArray head, int vocab, TeacherRows teacher, NDArray weights, NDArray targets,
                         double ceWeight, double scale, int diagnosticsK) {
        int n = Math.toIntExact(hidden.getShape().get(0));
        NDManager owner = hidden.getManager();
        // the head's rows view belongs to the head's (the model's) manager unless attached here: one array kept per call
        NDArray logits = capped(linear(hidden, own(owner, head.get(new NDIndex(":" + vocab)))).expandDims(0));
        NDArray valid = weights.stopGradient().expandDims(0);
        try (NDManager scope = owner.newSubManager()) {
            TeacherBlock t = teacher == null ? null : teacher.rows(0, n, scope);
            NDArray tb = targets == null ? null : own(scope, targets.stopGradient()).reshape(1, n, 1);
            BlockLoss b = blockLoss(logits, t, valid, tb, ceWeight);
            Diagnostics d = diagnosticsK > 0 && t != null ? diagnose(logits, t, valid, diagnosticsK) : null;
            return new Result(own(owner, Scalars.mul(b.objective(), scale)), b.divergence() == null ? 0 : b.divergence().getFloat(),
                    b.nll() == null ? 0 : b.nll().getFloat(), d);
        }
    }

    /** A block's Σ w·d (null without a teacher), Σ w·nll (null without targets) and Σ w·(d + ceWeight·nll). */
    private record BlockLoss(NDArray objective, NDArray divergence, NDArray nll) {}

    /**
     * @param logits  the student's [1, rows, V]
     * @param targets int64 [1, rows, 1], or null
     */
    private BlockLoss blockLoss(NDArray logits, TeacherBlock t, NDArray valid, NDArray targets, double ceWeight) {
        NDArray d = null;
        if (t != null) {
            d = Reduction.SUM.reduce(t.sparse() != null ? loss.perToken(logits, t.sparse(), valid) : loss.perToken(logits, t.logits(), valid),
                    valid);
        }
        NDArray ce = null;
        if (targets != null) {
            long r = logits.getShape().get(1);
            ce = Reduction.SUM.reduce(logits.logSoftmax(2).gather(targets, 2).reshape(1, r).neg(), valid);
        }
        NDArray objective = d == null ? Scalars.mul(ce, ceWeight) : ceWeight == 0 ? d : d.add(Scalars.mul(ce, ceWeight));
        return new BlockLoss(objective, d, ce);
    }

    private static Diagnostics diagnose(NDArray logits, TeacherBlock t, NDArray valid, int k) {
        NDArray student = logits.stopGradient();
        return t.logits() != null ? Diagnostics.of(student, t.logits(), valid, k, 1.0) : Diagnostics.of(student, t.sparse(), valid);
    }

    /** Rows [from, to) of a [N, ..] array (a view), owned by {@code block}: what a {@link TeacherRows} hands out. */
    public static NDArray rows(NDArray a, int from, int to, NDManager block) {
        return own(block, a.get(new NDIndex(from + ":" + to)));
    }

    /** The student's logits from the head's output: cap·tanh(x / cap) with soft-capping, else x. */
    private NDArray capped(NDArray x) {
        return logitSoftcap > 0 ? Scalars.mul(Scalars.div(x, logitSoftcap).tanh(), logitSoftcap) : x;
    }

    /** x·wᵀ with the engine's linear op (the one the model's head uses). */
    private static NDArray linear(NDArray x, NDArray w) {
        return x.getNDArrayInternal().linear(x, w, null).singletonOrThrow().toType(DataType.FLOAT32, false);
    }

    private static NDArray own(NDManager manager, NDArray a) {
        a.attach(manager);
        return a;
    }
}
