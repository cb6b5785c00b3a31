package org.distill4j.lm;

import static org.distill4j.lm.Ops.linear;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import org.distill4j.lm.Weights.Layer;
import org.distill4j.lm.Weights.Packed;
import org.distill4j.lm.Weights.Separate;
import org.distill4j.util.Scalars;

/** Self-attention of one pass (B rows × T new tokens) through a layer's typed weights. */
final class Attention {
    /** cos/sin [B or 1, 1, T, rotaryDim] of the pass's positions. */
    record Rotation(NDArray cos, NDArray sin) {}

    private final ModelConfig config;
    private final long b;
    private final long t;
    private final KvCache cache;

    Attention(ModelConfig config, long b, long t, KvCache cache) {
        this.config = config;
        this.b = b;
        this.t = t;
        this.cache = cache;
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
        if (rotation != null) {
            q = rotate(q, rotation);
            k = rotate(k, rotation);
        }
        q = Scalars.mul(q, config.attentionScale());
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        long s = k.getShape().get(2);
        double cap = config.attnLogitSoftcap();
        NDArray out;
        int groups = config.kvGroups();
        if (groups == 1) {
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
     * Rotary embedding, Hugging Face's rotate-half convention: x·cos + rotate_half(x)·sin over the first
     * rotaryDim dimensions; the rest pass through (partial rotary).
     */
    private static NDArray rotate(NDArray x, Rotation r) {
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
