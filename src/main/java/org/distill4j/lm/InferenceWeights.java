package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.Weights.GatedPacked;
import org.distill4j.lm.Weights.Layer;
import org.distill4j.lm.Weights.Linear;
import org.distill4j.lm.Weights.Norm;
import org.distill4j.lm.Weights.Packed;

/**
 * The decoding form of a model's packed weights ({@link Weights#packed}): constant multipliers folded into the
 * projections so that a decoding step, whose small per-op tensors cost about as much to dispatch as to compute, runs
 * fewer ops. Each fold is exact algebra (rounding aside):
 * <ul>
 *   <li>the pre-attention and pre-MLP RMSNorm scales go into the columns of the q/k/v and gate/up matrices
 *       (norm(x)·w · Wᵀ = norm(x) · (W·diag w)ᵀ), so those norms only normalise;</li>
 *   <li>Gemma's (1 + w) becomes a plain scale, so its other norms take one multiply instead of two ops;</li>
 *   <li>the attention's 1/√d goes into the query rows (or into the query norm's scale where there is one);</li>
 *   <li>the query and key rows of each head are reordered so that the pairs the rotary embedding turns together
 *       (i, i + d/2) sit side by side: the rotation is then one complex multiply on q and k at once instead of
 *       split, negate, concatenate and two multiplies each. Attention scores are dot products over the head's
 *       dimensions, which any reordering applied to both q and k leaves unchanged (the cache holds keys in that
 *       order; values are untouched).</li>
 * </ul>
 * LayerNorm families (GPT-2) keep their norms; models with partial or dynamic rotary keep the rotate-half form.
 */
record InferenceWeights(Weights weights, Folding folding) {
    /** What the forward pass must skip (or do differently) for these weights; {@link #NONE} for trained weights. */
    record Folding(boolean queryScaled, boolean pairedRope) {
        static final Folding NONE = new Folding(false, false);
    }

    static InferenceWeights of(Weights packed, ModelConfig c, NDManager m) {
        Family.NormKind kind = c.family().norm();
        if (kind == Family.NormKind.LAYER_NORM) {
            return new InferenceWeights(packed, Folding.NONE);
        }
        boolean paired = !c.family().learnedPositions() && c.rope().rotaryDim(c.headDim()) == c.headDim()
                && !c.rope().type().equals("dynamic") && c.localRope().rotaryDim(c.headDim()) == c.headDim()
                && !c.localRope().type().equals("dynamic");
        for (Layer l : packed.layers()) {
            if (!(l.qkv() instanceof Packed) || !(l.ffn() instanceof GatedPacked)) {
                return new InferenceWeights(packed, Folding.NONE); // not a shape this folding knows
            }
        }
        boolean offset = kind == Family.NormKind.RMS_UNIT_OFFSET;
        List<Layer> layers = new ArrayList<>();
        for (Layer l : packed.layers()) {
            // a scratch per layer: a layer's intermediates (full-size copies of its q/k/v matrix) are freed before the
            // next layer's are made, so folding never holds more than one layer's worth of them
            try (NDManager scratch = m.newSubManager()) {
                Folder f = new Folder(m, scratch, offset);
                Packed p = (Packed) l.qkv();
                GatedPacked g = (GatedPacked) l.ffn();
                NDArray qkvW = f.scaleColumns(p.qkv().weight(), f.scale(l.attnNorm()));
                NDArray qkvB = p.qkv().bias();
                Norm qNorm = null;
                Norm kNorm = null;
                int qRows = c.numAttentionHeads() * c.headDim();
                if (l.qNorm() == null) {
                    NDArray rows = f.rowFactors(qkvW.getShape().get(0), qRows, c.attentionScale());
                    qkvW = f.times(qkvW, rows);
                    qkvB = qkvB == null ? null : f.keep(qkvB.mul(rows.reshape(-1)));
                } else {
                    NDArray q = f.keep(f.scale(l.qNorm()).mul((float) c.attentionScale()));
                    NDArray k = f.scale(l.kNorm());
                    qNorm = f.plain(paired ? f.pairUp(q, 1, c.headDim()) : q);
                    kNorm = f.plain(paired ? f.pairUp(k, 1, c.headDim()) : k);
                }
                if (paired) {
                    int heads = c.numAttentionHeads() + c.numKeyValueHeads();
                    qkvW = f.pairUp(qkvW, heads, c.headDim());
                    qkvB = qkvB == null ? null : f.pairUp(qkvB, heads, c.headDim());
                }
                Linear qkv = new Linear(f.result(qkvW), qkvB == null ? null : f.result(qkvB), false, null);
                Linear gateUp = new Linear(f.result(f.scaleColumns(g.gateUp().weight(), f.scale(l.mlpNorm()))),
                        g.gateUp().bias(), false, null);
                // the folded copies replace the packed concatenations: without this a fusion held both (about half the
                // weights' own memory more, at 0.4–1B)
                f.release(p.qkv().weight(), qkv.weight());
                f.release(p.qkv().bias(), qkv.bias());
                f.release(g.gateUp().weight(), gateUp.weight());
                layers.add(new Layer(Norm.UNIT, new Packed(qkv), f.resultNorm(qNorm), f.resultNorm(kNorm), l.o(),
                        f.resultNorm(f.plainOrNull(l.postAttnNorm())), Norm.UNIT, new GatedPacked(gateUp, g.down()),
                        f.resultNorm(f.plainOrNull(l.postMlpNorm()))));
            }
        }
        try (NDManager scratch = m.newSubManager()) {
            Folder f = new Folder(m, scratch, offset);
            Weights w = new Weights(packed.embed(), packed.positions(), layers,
                    f.resultNorm(f.plain(f.scale(packed.finalNorm()))), packed.head());
            return new InferenceWeights(w, new Folding(true, paired));
        }
    }

    /**
     * The folds' arithmetic. An op's output belongs to its first input's manager (often the model's), so every derived
     * array is moved to {@code scratch} at once and only the arrays the folded weights keep move on to {@code m}: the
     * intermediates go when scratch closes, and nothing accumulates in the model's manager fusion after fusion.
     */
    private record Folder(NDManager m, NDManager scratch, boolean offset) {
        NDArray keep(NDArray derived) {
            derived.attach(scratch);
            return derived;
        }

        /**
         * Frees a packed array that its folded form replaces, if {@code m} made it (the model's own arrays stay) and it
         * is not the folded form itself (folded in place).
         */
        void release(NDArray replaced, NDArray folded) {
            if (replaced != null && replaced != folded && replaced.getManager() == m) {
                replaced.close();
            }
        }

        /** Moves an array the folded weights keep to {@code m} (originals stay with their owner). */
        NDArray result(NDArray a) {
            if (a.getManager() == scratch) {
                a.attach(m);
            }
            return a;
        }

        Norm resultNorm(Norm n) {
            return n == null ? null : new Norm(result(n.weight()), null, true);
        }

        /** The norm's effective multiplier: w, or 1 + w for Gemma's offset form. */
        NDArray scale(Norm n) {
            return offset ? keep(n.weight().add(1f)) : n.weight();
        }

        Norm plain(NDArray scale) {
            return new Norm(scale, null, true);
        }

        Norm plainOrNull(Norm n) {
            return n == null ? null : plain(scale(n));
        }

        /** W·diag(g): the projection of x·g. */
        NDArray scaleColumns(NDArray w, NDArray g) {
            return times(w, keep(g.reshape(1, g.getShape().get(0))));
        }

        /**
         * x·factor (broadcast), in place when x is a copy the packing made ({@code m} owns it, nothing else sees it):
         * a fresh product would be one more full-size copy of the matrix per fold, and its freed predecessor a hole
         * that malloc keeps resident.
         */
        NDArray times(NDArray x, NDArray factor) {
            return x.getManager() == m ? x.muli(factor) : keep(x.mul(factor));
        }

        /** A column [out, 1] of {@code s} for the first {@code rows} outputs (the queries) and 1 after. */
        NDArray rowFactors(long out, int rows, double s) {
            float[] factor = new float[(int) out];
            for (int i = 0; i < out; i++) {
                factor[i] = i < rows ? (float) s : 1f;
            }
            return scratch.create(factor, new Shape(out, 1));
        }

        /**
         * Along axis 0, within each of the first {@code heads} blocks of d: position 2i takes index i and 2i + 1 takes
         * i + d/2 (rotate-half pairs side by side); everything after stays.
         */
        NDArray pairUp(NDArray x, int heads, int d) {
            int n = (int) x.getShape().get(0);
            long[] index = new long[n];
            for (int i = 0; i < n; i++) {
                index[i] = i;
            }
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < d / 2; i++) {
                    index[h * d + 2 * i] = h * d + i;
                    index[h * d + 2 * i + 1] = h * d + i + d / 2;
                }
            }
            return keep(x.get(scratch.create(index)));
        }
    }
}
