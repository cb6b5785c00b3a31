package org.distill4j.lm;

import static org.distill4j.lm.Ops.linear;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.distill4j.lm.Weights.Layer;
import org.distill4j.lm.Weights.Packed;
import org.distill4j.lm.Weights.Separate;
import org.distill4j.util.Scalars;

/** Self-attention of one pass (B rows × T new tokens) through a layer's typed weights. */
final class Attention {
    /** The rotary embedding of the pass's positions. */
    sealed interface Rotation permits HalfRotation, PairedRotation {}

    /** cos/sin [B or 1, 1, T, rotaryDim] for Hugging Face's rotate-half layout. */
    record HalfRotation(NDArray cos, NDArray sin) implements Rotation {}

    /**
     * cos + i·sin [B or 1, T, 1, d/2] (complex) for weights whose rotary pairs sit side by side
     * ({@link InferenceWeights}): the rotation is a complex multiply.
     */
    record PairedRotation(NDArray turn) implements Rotation {}

    private final ModelConfig config;
    private final long b;
    private final long t;
    private final KvCache cache;
    private final InferenceWeights.Folding folding;

    Attention(ModelConfig config, long b, long t, KvCache cache, InferenceWeights.Folding folding) {
        this.config = config;
        this.b = b;
        this.t = t;
        this.cache = cache;
        this.folding = folding;
    }

    /**
     * @param rotation null for families with learned positions
     * @param mask     additive mask [B or 1, 1, T, S] for this layer (its window included)
     */
    NDArray apply(int layer, Layer l, NDArray x, Rotation rotation, NDArray mask) {
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int d = config.headDim();
        NDArray q;
        NDArray k;
        NDArray v;
        if (rotation instanceof PairedRotation paired) {
            NDArray[] qkv = pairedQkv(l, x, paired);
            q = qkv[0];
            k = qkv[1];
            v = qkv[2];
        } else {
            switch (l.qkv()) {
                case Separate s -> {
                    q = linear(x, s.q());
                    k = linear(x, s.k());
                    v = linear(x, s.v());
                }
                case Packed p -> {
                    NDList qkv = linear(x, p.qkv()).split(new long[] {(long) heads * d, (long) (heads + kvHeads) * d}, 2);
                    q = qkv.get(0);
                    k = qkv.get(1);
                    v = qkv.get(2);
                }
            }
            q = q.reshape(b, t, heads, d);
            k = k.reshape(b, t, kvHeads, d);
            if (l.qNorm() != null) {
                q = Ops.norm(config, q, l.qNorm());
                k = Ops.norm(config, k, l.kNorm());
            }
            q = q.transpose(0, 2, 1, 3);
            k = k.transpose(0, 2, 1, 3);
            v = v.reshape(b, t, kvHeads, d).transpose(0, 2, 1, 3);
            if (rotation instanceof HalfRotation half) {
                q = rotate(q, half);
                k = rotate(k, half);
            }
        }
        if (!folding.queryScaled()) {
            q = Scalars.mul(q, config.attentionScale());
        }
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        long s = k.getShape().get(2);
        double cap = config.attnLogitSoftcap();
        NDArray out;
        int groups = config.kvGroups();
        SharedPrefixes.Step shared = cache == null ? null : cache.prefixes();
        if (shared != null && t == 1) {
            out = withSharedPrefixes(layer, q, k, v, mask, shared);
        } else if (groups == 1) {
            NDArray scores = Ops.softcap(q.matMul(k.transpose(0, 1, 3, 2)), cap).add(mask);
            out = scores.softmax(-1).matMul(v);
        } else {
            // grouped-query attention without copying K/V: the `groups` query heads that share a KV head
            // are stacked along the query axis, so one plain batched matmul per KV head serves them all
            NDArray qg = q.reshape(b, kvHeads, groups * t, d);
            NDArray scores = Ops.softcap(qg.matMul(k.transpose(0, 1, 3, 2)), cap).reshape(b, kvHeads, groups, t, s)
                    .add(mask.expandDims(1));
            out = scores.softmax(-1).reshape(b, kvHeads, groups * t, s).matMul(v).reshape(b, heads, t, d);
        }
        out = out.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * d);
        return linear(out, l.o());
    }

    /**
     * One decoding step's attention over shared prompts and each row's own entries, as one softmax over both: the
     * queries of a group's rows are gathered group-major ([groups, heads, members, d]) and meet the group's prompt keys
     * in one product per (group, KV head), so each shared prompt is read once, not once per row.
     *
     * @param mask [B, 1, 1, P + S]: the shared part (hidden for rows without a group) then the own entries
     */
    private NDArray withSharedPrefixes(int layer, NDArray q, NDArray k, NDArray v, NDArray mask, SharedPrefixes.Step shared) {
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int d = config.headDim();
        int groups = config.kvGroups();
        long g = shared.groups();
        long members = shared.members();
        long p = shared.length();
        NDManager owner = q.getManager();
        // the rows' own entries, grouped-query heads stacked as in apply: [B, heads, 1, S]
        NDArray own = q.reshape(b, kvHeads, groups, d).matMul(k.transpose(0, 1, 3, 2)).reshape(b, heads, 1, k.getShape().get(2));
        NDArray qg = rows(q.reshape(b, (long) heads * d), shared.groupRows())
                .reshape(g, members, heads, d).transpose(0, 2, 1, 3).reshape(g, kvHeads, groups * members, d);
        NDArray prefix = rows(qg.matMul(shared.keys(layer, owner).transpose(0, 1, 3, 2)) // [g, kvHeads, groups·members, P]
                .reshape(g, heads, members, p).transpose(0, 2, 1, 3).reshape(g * members, heads * p), shared.slotPosition())
                .reshape(b, heads, 1, p);
        NDArray probs = Ops.softcap(prefix.concat(own, 3), config.attnLogitSoftcap()).add(mask).softmax(-1);
        NDList parts = probs.split(new long[] {p}, 3);
        NDArray pg = rows(parts.get(0).reshape(b, (long) heads * p), shared.groupRows())
                .reshape(g, members, heads, p).transpose(0, 2, 1, 3).reshape(g, kvHeads, groups * members, p);
        NDArray fromPrefix = rows(pg.matMul(shared.values(layer, owner)) // [g, kvHeads, groups·members, d]
                .reshape(g, heads, members, d).transpose(0, 2, 1, 3).reshape(g * members, (long) heads * d), shared.slotPosition())
                .reshape(b, heads, 1, d);
        if (shared.grouped() != null) {
            fromPrefix = fromPrefix.mul(shared.grouped()); // rows without a group gathered another row's output
        }
        NDArray pOwn = parts.get(1);
        return pOwn.reshape(b, kvHeads, groups, pOwn.getShape().get(3)).matMul(v).reshape(b, heads, 1, d).add(fromPrefix);
    }

    /** Rows of a 2-D array by index (an embedding lookup: one call, no index parsing). */
    private static NDArray rows(NDArray table, NDArray index) {
        return table.getNDArrayInternal().embedding(index, table, ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow();
    }

    /**
     * q, k, v [B, heads, T, d] from the packed projection of folded weights: queries and keys rotated by one complex
     * multiply (both at once where no per-head norm comes between).
     */
    private NDArray[] pairedQkv(Layer l, NDArray x, PairedRotation r) {
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int d = config.headDim();
        NDArray qkv = linear(x, ((Packed) l.qkv()).qkv());
        NDArray q;
        NDArray k;
        if (l.qNorm() == null) {
            NDList parts = qkv.split(new long[] {(long) (heads + kvHeads) * d}, 2);
            NDArray qk = turn(parts.get(0).reshape(b, t, heads + kvHeads, d), r);
            NDList split = qk.split(new long[] {heads}, 2);
            q = split.get(0);
            k = split.get(1);
            qkv = parts.get(1);
        } else {
            NDList parts = qkv.split(new long[] {(long) heads * d, (long) (heads + kvHeads) * d}, 2);
            q = turn(Ops.norm(config, parts.get(0).reshape(b, t, heads, d), l.qNorm()), r);
            k = turn(Ops.norm(config, parts.get(1).reshape(b, t, kvHeads, d), l.kNorm()), r);
            qkv = parts.get(2);
        }
        NDArray v = qkv.reshape(b, t, kvHeads, d);
        return new NDArray[] {q.transpose(0, 2, 1, 3), k.transpose(0, 2, 1, 3), v.transpose(0, 2, 1, 3)};
    }

    /** x [B, T, h, d] with rotary pairs side by side, rotated: (x₂ᵢ + i·x₂ᵢ₊₁)·(cos + i·sin) per pair. */
    private NDArray turn(NDArray x, PairedRotation r) {
        long h = x.getShape().get(2);
        long d = x.getShape().get(3);
        NDArray pairs = JniUtils.complex((PtNDArray) x.reshape(b, t, h, d / 2, 2));
        return JniUtils.real((PtNDArray) pairs.mul(r.turn())).reshape(b, t, h, d);
    }

    /**
     * Rotary embedding, Hugging Face's rotate-half convention: x·cos + rotate_half(x)·sin over the first
     * rotaryDim dimensions; the rest pass through (partial rotary).
     */
    private static NDArray rotate(NDArray x, HalfRotation r) {
        int last = x.getShape().dimension() - 1; // DJL's split does not take negative axes
        long rotary = r.cos().getShape().getLastDimension();
        if (rotary < x.getShape().get(last)) {
            NDList parts = x.split(new long[] {rotary}, last);
            return rotate(parts.get(0), r).concat(parts.get(1), last);
        }
        NDList halves = x.split(2, last);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), last);
        return x.mul(r.cos()).add(rotated.mul(r.sin()));
    }
}
