package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.util.Scalars;

/**
 * A Llama-family decoder (Llama, Qwen2, Mistral) written as plain functions over DJL NDArrays whose
 * parameters carry Hugging Face's tensor names. Parameters are raw NDArrays rather than DJL Blocks so
 * that checkpoints map one to one, our own optimizer can own their state, and autograd (through
 * DJL's GradientCollector) sees exactly the graph written here.
 */
public final class Transformer implements AutoCloseable {
    /** Additive mask value: finite so that a fully masked row softmaxes to uniform rather than NaN. */
    static final float MASKED = -1e9f;

    private final ModelConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params;
    private final NDArray ropeCos;
    private final NDArray ropeSin;
    private Fused fused;

    private Transformer(ModelConfig config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        this.params = params;
        float[][] table = ropeTables(config);
        long[] shape = {config.maxPositionEmbeddings(), config.headDim()};
        this.ropeCos = manager.create(table[0], new Shape(shape));
        this.ropeSin = manager.create(table[1], new Shape(shape));
    }

    /** Parameter names in Hugging Face's order for this config. */
    public static Map<String, long[]> parameterShapes(ModelConfig c) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            s.put(p + "self_attn.q_proj.weight", new long[] {q, h});
            if (c.qkvBias()) {
                s.put(p + "self_attn.q_proj.bias", new long[] {q});
            }
            s.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
            if (c.qkvBias()) {
                s.put(p + "self_attn.k_proj.bias", new long[] {kv});
            }
            s.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
            if (c.qkvBias()) {
                s.put(p + "self_attn.v_proj.bias", new long[] {kv});
            }
            s.put(p + "self_attn.o_proj.weight", new long[] {h, q});
            if (c.outputBias()) {
                s.put(p + "self_attn.o_proj.bias", new long[] {h});
            }
            s.put(p + "mlp.gate_proj.weight", new long[] {c.intermediateSize(), h});
            s.put(p + "mlp.up_proj.weight", new long[] {c.intermediateSize(), h});
            s.put(p + "mlp.down_proj.weight", new long[] {h, c.intermediateSize()});
            if (c.mlpBias()) {
                s.put(p + "mlp.gate_proj.bias", new long[] {c.intermediateSize()});
                s.put(p + "mlp.up_proj.bias", new long[] {c.intermediateSize()});
                s.put(p + "mlp.down_proj.bias", new long[] {h});
            }
            s.put(p + "input_layernorm.weight", new long[] {h});
            s.put(p + "post_attention_layernorm.weight", new long[] {h});
        }
        s.put("model.norm.weight", new long[] {h});
        if (!c.tieWordEmbeddings()) {
            s.put("lm_head.weight", new long[] {c.vocabSize(), h});
        }
        return s;
    }

    /** Wraps already loaded parameters (names as {@link #parameterShapes}); takes ownership of {@code manager}. */
    public static Transformer of(ModelConfig config, NDManager manager, Map<String, NDArray> params) {
        Map<String, long[]> expected = parameterShapes(config);
        Map<String, NDArray> ordered = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            NDArray a = params.get(e.getKey());
            if (a == null) {
                throw new IllegalArgumentException("missing parameter " + e.getKey());
            }
            if (!a.getShape().equals(new Shape(e.getValue()))) {
                throw new IllegalArgumentException("parameter " + e.getKey() + " has shape " + a.getShape()
                        + ", expected " + new Shape(e.getValue()));
            }
            ordered.put(e.getKey(), a);
        }
        return new Transformer(config, manager, ordered);
    }

    /**
     * A freshly initialised model: linear and embedding weights ~ N(0, 0.02²) (transformers'
     * initializer_range), norms 1, biases 0, drawn in Java from {@code seed} so the result does not
     * depend on the engine's RNG.
     */
    public static Transformer random(ModelConfig config, NDManager parent, long seed) {
        NDManager m = parent.newSubManager();
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : parameterShapes(config).entrySet()) {
            long[] shape = e.getValue();
            int n = Math.toIntExact(new Shape(shape).size());
            float[] data = new float[n];
            String name = e.getKey();
            if (name.endsWith("norm.weight")) {
                java.util.Arrays.fill(data, 1f);
            } else if (!name.endsWith(".bias")) {
                for (int i = 0; i < n; i++) {
                    data[i] = (float) (0.02 * gaussian(rng));
                }
            }
            params.put(name, m.create(data, new Shape(shape)));
        }
        return new Transformer(config, m, params);
    }

    private static double gaussian(SplittableRandom rng) {
        // Box-Muller: SplittableRandom has no nextGaussian before Java 17's RandomGenerator default, and
        // this keeps the stream explicit and reproducible across JDKs.
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** cos/sin tables [maxPositions, headDim] in the rotate-half layout (frequencies repeated twice). */
    static float[][] ropeTables(ModelConfig c) {
        int d = c.headDim();
        int n = c.maxPositionEmbeddings();
        float[] cos = new float[n * d];
        float[] sin = new float[n * d];
        for (int i = 0; i < d / 2; i++) {
            // inv_freq is computed in float32 by transformers; mirror that to match its rounding
            float invFreq = (float) (1.0 / Math.pow(c.ropeTheta(), (double) (2 * i) / d));
            for (int p = 0; p < n; p++) {
                float angle = (float) p * invFreq;
                float cs = (float) Math.cos(angle);
                float sn = (float) Math.sin(angle);
                cos[p * d + i] = cs;
                cos[p * d + i + d / 2] = cs;
                sin[p * d + i] = sn;
                sin[p * d + i + d / 2] = sn;
            }
        }
        return new float[][] {cos, sin};
    }

    public ModelConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /** Parameters by Hugging Face name, in checkpoint order (the tied LM head is not listed twice). */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(params);
    }

    /** Marks every parameter as requiring (or not) a gradient. */
    public void setTrainable(boolean trainable) {
        for (NDArray p : params.values()) {
            p.setRequiresGradient(trainable);
        }
    }

    private NDArray p(String name) {
        return params.get(name);
    }

    /**
     * Inference-time copies of the q/k/v and gate/up projections concatenated into one matrix each, so a
     * decoding step makes two large matmul calls per layer instead of five small ones (per-call
     * overhead dominates small batches). Valid until closed; the weights must not change meanwhile,
     * so only no-gradient paths (sampling) open it.
     */
    public Fusion fuseForInference() {
        if (fused != null) {
            return () -> { };
        }
        NDManager m = manager.newSubManager();
        int layers = config.numHiddenLayers();
        NDArray[] qkvW = new NDArray[layers];
        NDArray[] qkvB = new NDArray[layers];
        NDArray[] gateUp = new NDArray[layers];
        NDArray[] gateUpB = new NDArray[layers];
        for (int i = 0; i < layers; i++) {
            String pre = "model.layers." + i + ".";
            qkvW[i] = NDArrays.concat(new NDList(p(pre + "self_attn.q_proj.weight"), p(pre + "self_attn.k_proj.weight"),
                    p(pre + "self_attn.v_proj.weight")), 0);
            qkvW[i].attach(m);
            if (config.qkvBias()) {
                qkvB[i] = NDArrays.concat(new NDList(p(pre + "self_attn.q_proj.bias"), p(pre + "self_attn.k_proj.bias"),
                        p(pre + "self_attn.v_proj.bias")), 0);
                qkvB[i].attach(m);
            }
            gateUp[i] = NDArrays.concat(new NDList(p(pre + "mlp.gate_proj.weight"), p(pre + "mlp.up_proj.weight")), 0);
            gateUp[i].attach(m);
            if (config.mlpBias()) {
                gateUpB[i] = NDArrays.concat(new NDList(p(pre + "mlp.gate_proj.bias"), p(pre + "mlp.up_proj.bias")), 0);
                gateUpB[i].attach(m);
            }
        }
        fused = new Fused(m, qkvW, qkvB, gateUp, gateUpB);
        return () -> {
            fused = null;
            m.close();
        };
    }

    /** The scope of {@link #fuseForInference}. */
    public interface Fusion extends AutoCloseable {
        @Override
        void close();
    }

    private record Fused(NDManager manager, NDArray[] qkvW, NDArray[] qkvB, NDArray[] gateUpW, NDArray[] gateUpB) {}

    private static NDArray linear(NDArray x, NDArray w, NDArray b) {
        return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        return x.div(variance.add(config.rmsNormEps()).sqrt()).mul(weight);
    }

    /**
     * Final hidden states [B, T, H] (after the last norm).
     *
     * @param ids       token ids [B, T] (int64)
     * @param positions position ids [B, T] (int64); null means cache length + 0..T-1 for every row
     * @param mask      additive attention mask broadcastable to [B, 1, T, S] (0 or {@link #MASKED}),
     *                  S = cached + T; null means plain causal over the whole batch
     * @param cache     KV cache to read and extend, or null
     */
    public NDArray hidden(NDArray ids, NDArray positions, NDArray mask, KvCache cache) {
        NDManager m = ids.getManager();
        long b = ids.getShape().get(0);
        long t = ids.getShape().get(1);
        int past = cache == null ? 0 : cache.length();
        if (positions == null) {
            positions = m.arange(past, past + (int) t, 1, DataType.INT64).expandDims(0);
        }
        if (mask == null) {
            mask = AttentionMask.causal(m, (int) t, past, config.slidingWindow());
        }
        NDArray embed = p("model.embed_tokens.weight");
        NDArray x = embed.getNDArrayInternal().embedding(ids, embed, SparseFormat.DENSE).singletonOrThrow();
        // cos/sin [B or 1, 1, T, D], gathered per row so left-padded rows rotate by their own positions
        NDArray cos = ropeCos.getNDArrayInternal().embedding(positions, ropeCos, SparseFormat.DENSE).singletonOrThrow().expandDims(1);
        NDArray sin = ropeSin.getNDArrayInternal().embedding(positions, ropeSin, SparseFormat.DENSE).singletonOrThrow().expandDims(1);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String pre = "model.layers." + i + ".";
            NDArray h = rmsNorm(x, p(pre + "input_layernorm.weight"));
            x = x.add(attention(i, pre + "self_attn.", h, cos, sin, mask, cache, b, t));
            h = rmsNorm(x, p(pre + "post_attention_layernorm.weight"));
            x = x.add(mlp(i, pre + "mlp.", h));
        }
        if (cache != null) {
            cache.advance((int) t);
        }
        return rmsNorm(x, p("model.norm.weight"));
    }

    /** Logits [.., V] from hidden states [.., H]. */
    public NDArray logits(NDArray hidden) {
        return linear(hidden, headWeight(), null);
    }

    /** The LM head's weight [V, H]: the tied embedding, or lm_head.weight. */
    public NDArray headWeight() {
        return config.tieWordEmbeddings() ? p("model.embed_tokens.weight") : p("lm_head.weight");
    }

    /** Full forward: logits [B, T, V]. */
    public NDArray forward(NDArray ids, NDArray positions, NDArray mask, KvCache cache) {
        return logits(hidden(ids, positions, mask, cache));
    }

    private NDArray attention(int layer, String pre, NDArray x, NDArray cos, NDArray sin, NDArray mask,
                              KvCache cache, long b, long t) {
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int d = config.headDim();
        NDArray q;
        NDArray k;
        NDArray v;
        Fused f = fused;
        if (f != null) {
            NDList qkv = linear(x, f.qkvW()[layer], f.qkvB()[layer]).split(new long[] {(long) heads * d, (long) (heads + kvHeads) * d}, 2);
            q = qkv.get(0);
            k = qkv.get(1);
            v = qkv.get(2);
        } else {
            q = linear(x, p(pre + "q_proj.weight"), p(pre + "q_proj.bias"));
            k = linear(x, p(pre + "k_proj.weight"), p(pre + "k_proj.bias"));
            v = linear(x, p(pre + "v_proj.weight"), p(pre + "v_proj.bias"));
        }
        q = q.reshape(b, t, heads, d).transpose(0, 2, 1, 3);
        k = k.reshape(b, t, kvHeads, d).transpose(0, 2, 1, 3);
        v = v.reshape(b, t, kvHeads, d).transpose(0, 2, 1, 3);
        q = Scalars.mul(rotate(q, cos, sin), 1.0 / Math.sqrt(d));
        k = rotate(k, cos, sin);
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        long s = k.getShape().get(2);
        NDArray out;
        int groups = config.kvGroups();
        if (groups == 1) {
            NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).add(mask);
            out = scores.softmax(-1).matMul(v);
        } else {
            // grouped-query attention without copying K/V: the `groups` query heads that share a KV head
            // are stacked along the query axis, so one plain batched matmul per KV head serves them all
            NDArray qg = q.reshape(b, kvHeads, groups * t, d);
            NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2)).reshape(b, kvHeads, groups, t, s).add(mask.expandDims(1));
            out = scores.softmax(-1).reshape(b, kvHeads, groups * t, s).matMul(v).reshape(b, heads, t, d);
        }
        out = out.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * d);
        return linear(out, p(pre + "o_proj.weight"), p(pre + "o_proj.bias"));
    }

    /** Rotary embedding, Hugging Face's rotate-half convention: x·cos + rotate_half(x)·sin. */
    private static NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
        int last = x.getShape().dimension() - 1; // DJL's split does not take negative axes
        NDList halves = x.split(2, last);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), last);
        return x.mul(cos).add(rotated.mul(sin));
    }

    private NDArray mlp(int layer, String pre, NDArray x) {
        NDArray gate;
        NDArray up;
        Fused f = fused;
        if (f != null) {
            NDList gu = linear(x, f.gateUpW()[layer], f.gateUpB()[layer]).split(new long[] {config.intermediateSize()}, 2);
            gate = gu.get(0);
            up = gu.get(1);
        } else {
            gate = linear(x, p(pre + "gate_proj.weight"), p(pre + "gate_proj.bias"));
            up = linear(x, p(pre + "up_proj.weight"), p(pre + "up_proj.bias"));
        }
        NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid());
        return linear(act.mul(up), p(pre + "down_proj.weight"), p(pre + "down_proj.bias"));
    }

    @Override
    public void close() {
        manager.close();
    }
}
