package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.lm.Weights.Gated;
import org.distill4j.lm.Weights.GatedPacked;
import org.distill4j.lm.Weights.Layer;
import org.distill4j.lm.Weights.Linear;
import org.distill4j.lm.Weights.Norm;
import org.distill4j.lm.Weights.Packed;
import org.distill4j.lm.Weights.Plain;
import org.distill4j.lm.Weights.Separate;

/**
 * Hugging Face's tensor names and shapes per family, in checkpoint order, and their binding into
 * {@link Weights}. One walk over the architecture serves both: it asks a {@link Source} for each tensor by
 * name and shape, so the names are written once.
 */
final class WeightNames {
    private WeightNames() {}

    /** A tensor by name and expected shape (null while only shapes are collected). */
    private interface Source {
        NDArray get(String name, long... shape);

        /** The LoRA adapter of the linear module {@code module} (in → out features), or null. */
        default Weights.Adapter adapter(String module, long in, long out) {
            return null;
        }
    }

    /** The adapters of a model by module name (Hugging Face's, without ".weight"). */
    interface Adapters {
        Weights.Adapter get(String module, long in, long out);
    }

    /** Input and output features of a linear module (the LM head excluded, as PEFT's all-linear excludes it). */
    record LinearShape(long in, long out) {}

    /** Every linear module of this config by name, in checkpoint order (PEFT's module names; no LM head). */
    static Map<String, LinearShape> linears(ModelConfig c) {
        Map<String, LinearShape> out = new LinkedHashMap<>();
        walk(c, new Source() {
            @Override
            public NDArray get(String name, long... shape) {
                return null;
            }

            @Override
            public Weights.Adapter adapter(String module, long in, long o) {
                out.put(module, new LinearShape(in, o));
                return null;
            }
        });
        return out;
    }

    /** Tensor names → shapes, in Hugging Face's order, for this config. */
    static Map<String, long[]> shapes(ModelConfig c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        walk(c, (name, shape) -> {
            out.put(name, shape);
            return null;
        });
        return out;
    }

    /** Binds parameters named as {@link #shapes} into typed weights (names and shapes already checked). */
    static Weights bind(ModelConfig c, Map<String, NDArray> params, Adapters adapters) {
        return walk(c, new Source() {
            @Override
            public NDArray get(String name, long... shape) {
                return params.get(name);
            }

            @Override
            public Weights.Adapter adapter(String module, long in, long out) {
                return adapters == null ? null : adapters.get(module, in, out);
            }
        });
    }

    /**
     * The name a loaded tensor is known by here: GPT-2 checkpoints from the hub omit the "transformer." prefix
     * that transformers writes today; both mean the same tensor.
     */
    static String canonical(ModelConfig c, String name) {
        if (c.family() == Family.GPT2 && !name.startsWith("transformer.") && !name.startsWith("lm_head.")) {
            return "transformer." + name;
        }
        return name;
    }

    /** Buffers some exporters save that are recomputed here (rotary inverse frequencies, GPT-2's causal mask). */
    static boolean isBuffer(String name) {
        return name.endsWith("rotary_emb.inv_freq") || name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias");
    }

    private static Weights walk(ModelConfig c, Source s) {
        return c.family() == Family.GPT2 ? gpt2(c, s) : decoder(c, s);
    }

    private static Weights decoder(ModelConfig c, Source s) {
        Family f = c.family();
        long h = c.hiddenSize();
        long d = c.headDim();
        long q = c.numAttentionHeads() * d;
        long kv = c.numKeyValueHeads() * d;
        long inter = c.intermediateSize();
        NDArray embed = s.get("model.embed_tokens.weight", c.vocabSize(), h);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            Weights.Qkv qkv;
            if (f == Family.PHI3) {
                qkv = new Packed(linear(s, p + "self_attn.qkv_proj", q + 2 * kv, h, false));
            } else {
                qkv = new Separate(linear(s, p + "self_attn.q_proj", q, h, c.qkvBias()),
                        linear(s, p + "self_attn.k_proj", kv, h, c.qkvBias()),
                        linear(s, p + "self_attn.v_proj", kv, h, c.qkvBias()));
            }
            Linear o = linear(s, p + "self_attn.o_proj", h, q, c.outputBias());
            Norm qNorm = f.qkNorm() ? norm(s, p + "self_attn.q_norm", d, false) : null;
            Norm kNorm = f.qkNorm() ? norm(s, p + "self_attn.k_norm", d, false) : null;
            Weights.Ffn ffn;
            if (f == Family.PHI3) {
                ffn = new GatedPacked(linear(s, p + "mlp.gate_up_proj", 2 * inter, h, false),
                        linear(s, p + "mlp.down_proj", h, inter, false));
            } else {
                // the existing checkpoints' order: the three weights, then the three biases
                NDArray gate = s.get(p + "mlp.gate_proj.weight", inter, h);
                NDArray up = s.get(p + "mlp.up_proj.weight", inter, h);
                NDArray down = s.get(p + "mlp.down_proj.weight", h, inter);
                boolean b = c.mlpBias();
                ffn = new Gated(new Linear(gate, b ? s.get(p + "mlp.gate_proj.bias", inter) : null, false,
                                s.adapter(p + "mlp.gate_proj", h, inter)),
                        new Linear(up, b ? s.get(p + "mlp.up_proj.bias", inter) : null, false, s.adapter(p + "mlp.up_proj", h, inter)),
                        new Linear(down, b ? s.get(p + "mlp.down_proj.bias", h) : null, false, s.adapter(p + "mlp.down_proj", inter, h)));
            }
            Norm input = norm(s, p + "input_layernorm", h, false);
            Norm postAttention = norm(s, p + "post_attention_layernorm", h, false);
            if (f.sandwichNorms()) {
                // Gemma: post_attention_layernorm normalises the attention output; the feed-forward has its own pair
                Norm preMlp = norm(s, p + "pre_feedforward_layernorm", h, false);
                Norm postMlp = norm(s, p + "post_feedforward_layernorm", h, false);
                layers.add(new Layer(input, qkv, qNorm, kNorm, o, postAttention, preMlp, ffn, postMlp));
            } else {
                layers.add(new Layer(input, qkv, qNorm, kNorm, o, null, postAttention, ffn, null));
            }
        }
        Norm finalNorm = norm(s, "model.norm", h, false);
        NDArray head = c.tieWordEmbeddings() ? null : s.get("lm_head.weight", c.vocabSize(), h);
        return new Weights(embed, null, layers, finalNorm, head);
    }

    private static Weights gpt2(ModelConfig c, Source s) {
        long h = c.hiddenSize();
        long inter = c.intermediateSize();
        NDArray wte = s.get("transformer.wte.weight", c.vocabSize(), h);
        NDArray wpe = s.get("transformer.wpe.weight", c.maxPositionEmbeddings(), h);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "transformer.h." + i + ".";
            Norm ln1 = norm(s, p + "ln_1", h, true);
            Packed qkv = new Packed(conv1d(s, p + "attn.c_attn", h, 3 * h));
            Linear o = conv1d(s, p + "attn.c_proj", h, h);
            Norm ln2 = norm(s, p + "ln_2", h, true);
            Plain ffn = new Plain(conv1d(s, p + "mlp.c_fc", h, inter), conv1d(s, p + "mlp.c_proj", inter, h));
            layers.add(new Layer(ln1, qkv, null, null, o, null, ln2, ffn, null));
        }
        Norm lnF = norm(s, "transformer.ln_f", h, true);
        NDArray head = c.tieWordEmbeddings() ? null : s.get("lm_head.weight", c.vocabSize(), h);
        return new Weights(wte, wpe, layers, lnF, head);
    }

    private static Linear linear(Source s, String name, long out, long in, boolean bias) {
        NDArray w = s.get(name + ".weight", out, in);
        return new Linear(w, bias ? s.get(name + ".bias", out) : null, false, s.adapter(name, in, out));
    }

    /** GPT-2's Conv1D: weight [in, out]. */
    private static Linear conv1d(Source s, String name, long in, long out) {
        NDArray w = s.get(name + ".weight", in, out);
        return new Linear(w, s.get(name + ".bias", out), true, s.adapter(name, in, out));
    }

    private static Norm norm(Source s, String name, long size, boolean bias) {
        NDArray w = s.get(name + ".weight", size);
        return new Norm(w, bias ? s.get(name + ".bias", size) : null);
    }

    /** Whether a parameter is a norm's scale (initialised to 1, or to 0 where the norm scales by 1 + w). */
    static boolean isNormWeight(String name) {
        return name.endsWith("norm.weight") || name.matches(".*\\.ln_(\\d|f)\\.weight");
    }
}
