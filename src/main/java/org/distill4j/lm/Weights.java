package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's weights resolved into per-layer records once, at load ({@link WeightNames} maps them from and to
 * Hugging Face's tensor names): the forward pass reads fields, never builds a name. Fields a family lacks are
 * null (no q/k norms, no norms after the blocks, no learned positions, a tied head).
 *
 * @param positions learned position embeddings [maxPositions, H] (GPT-2), or null for rotary families
 * @param head      the LM head [V, H], or null when tied to {@code embed}
 */
public record Weights(NDArray embed, NDArray positions, List<Layer> layers, Norm finalNorm, NDArray head) {
    public Weights {
        layers = List.copyOf(layers);
    }

    /**
     * A projection y = x·Wᵀ + b (+ the adapter's term); {@code conv1d} marks GPT-2's Conv1D, which stores W transposed
     * ([in, out]); {@code adapter} is null without LoRA.
     */
    public record Linear(NDArray weight, NDArray bias, boolean conv1d, Adapter adapter) {
        static Linear of(NDArray weight, NDArray bias) {
            return new Linear(weight, bias, false, null);
        }

        /**
         * The same projection as one matrix (W + scale·B·A, transposed for Conv1D) in {@code m}, without the adapter;
         * itself when it has none. For no-gradient paths: dropout is not applied at inference anyway.
         */
        Linear merged(NDManager m) {
            if (adapter == null) {
                return this;
            }
            try (NDManager scope = m.newSubManager()) {
                NDArray w = weight.add(adapter.delta(conv1d, scope));
                w.attach(m);
                return new Linear(w, bias, conv1d, null);
            }
        }
    }

    /**
     * A LoRA adapter of one {@link Linear}: y += scale · dropout(x)·Aᵀ·Bᵀ (PEFT's lora_A [r, in], lora_B [out, r]).
     *
     * @param dropout the stream that drops inputs while a training pass asks for it (shared by a model's adapters)
     */
    public record Adapter(NDArray a, NDArray b, double scale, LoraDropout dropout) {
        /** scale·B·A in the orientation of the base weight ([out, in], or [in, out] for Conv1D), in {@code m}. */
        NDArray delta(boolean conv1d, NDManager m) {
            NDArray ba = b.matMul(a);
            ba.attach(m); // else it would belong to the adapter's manager until the model closes
            NDArray d = org.distill4j.util.Scalars.mul(ba, scale);
            return conv1d ? d.transpose() : d;
        }
    }

    /**
     * A norm's scale and (LayerNorm only) shift. {@code plainScale}: the weight is the multiplier itself even where the
     * family stores an offset from one (Gemma), and a null weight means none ({@link InferenceWeights} folded it).
     */
    public record Norm(NDArray weight, NDArray bias, boolean plainScale) {
        /** Normalisation only: the scale was folded into the next projection. */
        static final Norm UNIT = new Norm(null, null, true);

        public Norm(NDArray weight, NDArray bias) {
            this(weight, bias, false);
        }
    }

    /** The query/key/value projections. */
    public sealed interface Qkv permits Separate, Packed {}

    public record Separate(Linear q, Linear k, Linear v) implements Qkv {}

    /** One projection whose output is [q | k | v] (Phi-3's qkv_proj, GPT-2's c_attn, the fused inference view). */
    public record Packed(Linear qkv) implements Qkv {}

    /** The feed-forward block. */
    public sealed interface Ffn permits Gated, GatedPacked, Plain {}

    /** down(act(gate(x)) · up(x)). */
    public record Gated(Linear gate, Linear up, Linear down) implements Ffn {}

    /** As {@link Gated} with one projection whose output is [gate | up] (Phi-3's gate_up_proj, the fused view). */
    public record GatedPacked(Linear gateUp, Linear down) implements Ffn {}

    /** proj(act(fc(x))) (GPT-2). */
    public record Plain(Linear fc, Linear proj) implements Ffn {}

    /**
     * One decoder block.
     *
     * @param postAttnNorm norm of the attention output before the residual add (Gemma), or null
     * @param mlpNorm      norm of the feed-forward input
     * @param postMlpNorm  norm of the feed-forward output before the residual add (Gemma), or null
     */
    public record Layer(Norm attnNorm, Qkv qkv, Norm qNorm, Norm kNorm, Linear o, Norm postAttnNorm, Norm mlpNorm,
                        Ffn ffn, Norm postMlpNorm) {}

    /** Every projection of the decoder blocks (not the LM head). */
    List<Linear> linears() {
        List<Linear> out = new ArrayList<>();
        for (Layer l : layers) {
            switch (l.qkv()) {
                case Separate s -> out.addAll(List.of(s.q(), s.k(), s.v()));
                case Packed p -> out.add(p.qkv());
            }
            out.add(l.o());
            switch (l.ffn()) {
                case Gated g -> out.addAll(List.of(g.gate(), g.up(), g.down()));
                case GatedPacked g -> out.addAll(List.of(g.gateUp(), g.down()));
                case Plain p -> out.addAll(List.of(p.fc(), p.proj()));
            }
        }
        return out;
    }

    /**
     * The inference form: separate q/k/v and gate/up projections concatenated into one matrix each (copies owned
     * by {@code m}), so a decoding step makes two large matmul calls per layer instead of five small ones, and every
     * LoRA adapter merged into a copy of its weight (no extra matmuls per step). Projections that are neither are
     * shared, not copied. The copies do not follow later updates of the weights.
     */
    Weights packed(NDManager m) {
        List<Layer> out = new ArrayList<>(layers.size());
        for (Layer l : layers) {
            Qkv qkv = switch (l.qkv()) {
                case Separate s -> new Packed(concat(m, s.q(), s.k(), s.v()));
                case Packed p -> new Packed(p.qkv().merged(m));
            };
            Ffn ffn = switch (l.ffn()) {
                case Gated g -> new GatedPacked(concat(m, g.gate(), g.up()), g.down().merged(m));
                case GatedPacked g -> new GatedPacked(g.gateUp().merged(m), g.down().merged(m));
                case Plain p -> new Plain(p.fc().merged(m), p.proj().merged(m));
            };
            out.add(new Layer(l.attnNorm(), qkv, l.qNorm(), l.kNorm(), l.o().merged(m), l.postAttnNorm(), l.mlpNorm(), ffn,
                    l.postMlpNorm()));
        }
        return new Weights(embed, positions, out, finalNorm, head);
    }

    /** The parts (their adapters merged) concatenated along the output axis, in {@code m}. */
    private static Linear concat(NDManager m, Linear... parts) {
        NDList ws = new NDList();
        NDList bs = new NDList();
        NDList merged = new NDList();
        for (Linear part : parts) {
            Linear p = part.merged(m);
            if (p != part) {
                merged.add(p.weight()); // a temporary: only the concatenation is kept
            }
            ws.add(p.weight());
            if (p.bias() != null) {
                bs.add(p.bias());
            }
        }
        NDArray w = NDArrays.concat(ws, 0);
        w.attach(m);
        merged.close();
        NDArray b = null;
        if (!bs.isEmpty()) {
            b = NDArrays.concat(bs, 0);
            b.attach(m);
        }
        return Linear.of(w, b);
    }
}
