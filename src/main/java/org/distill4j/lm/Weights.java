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

    /** A projection y = x·Wᵀ + b; {@code conv1d} marks GPT-2's Conv1D, which stores W transposed ([in, out]). */
    public record Linear(NDArray weight, NDArray bias, boolean conv1d) {
        static Linear of(NDArray weight, NDArray bias) {
            return new Linear(weight, bias, false);
        }
    }

    /** A norm's scale and (LayerNorm only) shift. */
    public record Norm(NDArray weight, NDArray bias) {}

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

    /**
     * The inference form: separate q/k/v and gate/up projections concatenated into one matrix each (copies owned
     * by {@code m}), so a decoding step makes two large matmul calls per layer instead of five small ones. Packed
     * projections are shared, not copied. The copies do not follow later updates of the weights.
     */
    Weights packed(NDManager m) {
        List<Layer> out = new ArrayList<>(layers.size());
        for (Layer l : layers) {
            Qkv qkv = l.qkv() instanceof Separate s
                    ? new Packed(concat(m, s.q(), s.k(), s.v())) : l.qkv();
            Ffn ffn = l.ffn() instanceof Gated g
                    ? new GatedPacked(concat(m, g.gate(), g.up()), g.down()) : l.ffn();
            out.add(new Layer(l.attnNorm(), qkv, l.qNorm(), l.kNorm(), l.o(), l.postAttnNorm(), l.mlpNorm(), ffn, l.postMlpNorm()));
        }
        return new Weights(embed, positions, out, finalNorm, head);
    }

    private static Linear concat(NDManager m, Linear... parts) {
        NDList ws = new NDList();
        NDList bs = new NDList();
        for (Linear p : parts) {
            ws.add(p.weight());
            if (p.bias() != null) {
                bs.add(p.bias());
            }
        }
        NDArray w = NDArrays.concat(ws, 0);
        w.attach(m);
        NDArray b = null;
        if (!bs.isEmpty()) {
            b = NDArrays.concat(bs, 0);
            b.attach(m);
        }
        return Linear.of(w, b);
    }
}
