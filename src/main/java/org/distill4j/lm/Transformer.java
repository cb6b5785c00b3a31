package org.distill4j.lm;

import static org.distill4j.lm.Ops.linear;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.distill4j.lm.Weights.Gated;
import org.distill4j.lm.Weights.GatedPacked;
import org.distill4j.lm.Weights.Layer;
import org.distill4j.lm.Weights.Norm;
import org.distill4j.lm.Weights.Plain;
import org.distill4j.util.NativeMemory;
import org.distill4j.util.Scalars;

/**
 * A decoder of the families in {@link Family} written as plain functions over DJL NDArrays. Parameters are raw
 * NDArrays rather than DJL Blocks so that checkpoints map one to one, our own optimizer can own their state, and
 * autograd (through DJL's GradientCollector) sees exactly the graph written here. They are kept twice over, as
 * views of the same arrays: by Hugging Face name for checkpoints and the optimizer ({@link #parameters}), and
 * resolved into {@link Weights} records for the forward pass.
 */
public final class Transformer implements AutoCloseable {
    /** Additive mask value: finite so that a fully masked row softmaxes to uniform rather than NaN. */
    static final float MASKED = -1e9f;

    private final ModelConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params;
    private Weights weights;
    private Lora lora;
    private final RopeTable rope;
    private final RopeTable localRope;
    /** Whether a decoding form has been built (see {@link #fuseForInference}); a racing second trim would be harmless. */
    private boolean fusedBefore;
    /** Decoding forms at least this large hand malloc's retained holes back after the model's first one. */
    static final long TRIM_AFTER_FUSION_BYTES = 64L << 20;

    /** cos/sin [maxPositions, rotaryDim] of one rope. */
    private record RopeTable(Rope rope, NDArray cos, NDArray sin) {
        /**
         * The same angles as pairs (cos, sin) side by side [maxPositions, rotaryDim] in {@code m}, for
         * {@link InferenceWeights}' complex rotation: built with a decoding form ({@link Fusion}), not with every model.
         */
        NDArray paired(NDManager m) {
            long half = cos.getShape().get(1) / 2;
            try (NDManager scratch = m.newSubManager()) {
                NDArray c = JniUtils.slice((PtNDArray) cos, 1, 0, half, 1);
                c.attach(scratch);
                NDArray s = JniUtils.slice((PtNDArray) sin, 1, 0, half, 1);
                s.attach(scratch);
                NDArray pairs = NDArrays.stack(new NDList(c, s), 2).reshape(cos.getShape().get(0), 2 * half);
                pairs.attach(m);
                return pairs;
            }
        }
    }

    /** The paired rotation tables of a decoding form (the local one is the global one where the model has one rope). */
    private record PairedTables(NDArray global, NDArray local) {}

    private Transformer(ModelConfig config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        this.params = params;
        this.weights = WeightNames.bind(config, params, null);
        this.rope = table(manager, config.rope(), config.maxPositionEmbeddings());
        this.localRope = config.localRope().equals(config.rope()) ? rope : table(manager, config.localRope(), config.maxPositionEmbeddings());
    }

    private RopeTable table(NDManager m, Rope r, int rows) {
        if (config.family().learnedPositions()) {
            return null;
        }
        float[][] t = r.tables(config.headDim(), rows, config.maxPositionEmbeddings());
        Shape shape = new Shape(rows, r.rotaryDim(config.headDim()));
        return new RopeTable(r, m.create(t[0], shape), m.create(t[1], shape));
    }

    /** Parameter names in Hugging Face's order for this config. */
    public static Map<String, long[]> parameterShapes(ModelConfig c) {
        return WeightNames.shapes(c);
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
     * initializer_range), norms the identity (scale 1, or 0 where the norm scales by 1 + w), biases 0, drawn in
     * Java from {@code seed} so the result does not depend on the engine's RNG.
     */
    public static Transformer random(ModelConfig config, NDManager parent, long seed) {
        NDManager m = parent.newSubManager();
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : parameterShapes(config).entrySet()) {
            long[] shape = e.getValue();
            params.put(e.getKey(), m.create(InitialValues.of(config, e.getKey(), shape, rng), new Shape(shape)));
        }
        return new Transformer(config, m, params);
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

    /** The typed view of {@link #parameters} the forward pass reads. */
    public Weights weights() {
        return weights;
    }

    /**
     * What training updates: the LoRA adapters' tensors (by PEFT name) when adapters are attached, the base
     * frozen; otherwise every parameter.
     */
    public Map<String, NDArray> trainableParameters() {
        return lora == null ? parameters() : lora.tensors();
    }

    /**
     * Marks the {@link #trainableParameters} as requiring (or not) a gradient; with adapters the base never does, so
     * it gets no gradient and no optimizer state.
     */
    public void setTrainable(boolean trainable) {
        for (NDArray p : params.values()) {
            p.setRequiresGradient(trainable && lora == null);
        }
        if (lora != null) {
            for (NDArray p : lora.tensors().values()) {
                p.setRequiresGradient(trainable);
            }
        }
    }

    /** Applies LoRA adapters to this model's linear modules from now on (their arrays must outlive it or be its own). */
    public void attach(Lora adapters) {
        if (lora != null) {
            throw new IllegalStateException("adapters already attached");
        }
        this.weights = WeightNames.bind(config, params, adapters.binding());
        this.lora = adapters;
    }

    /** The attached adapters, or null. */
    public Lora lora() {
        return lora;
    }

    /**
     * The same base arrays without this model's adapters, with its own manager {@code m} (e.g. a discriminator's
     * backbone that gets adapters of its own). The base must stay frozen while both are in use.
     */
    public Transformer baseView(NDManager m) {
        return new Transformer(config, m, params);
    }

    /**
     * Runs a training computation with the adapters' dropout on, its masks drawn from {@code seed}; without adapters
     * (or with dropout 0) it only runs it. The masks live until it returns, so its backward passes belong inside.
     */
    public <T> T trainingPass(long seed, Supplier<T> body) {
        try (NDManager masks = manager.newSubManager()) {
            return trainingPass(masks, seed, body);
        }
    }

    /** As {@link #trainingPass(long, Supplier)} with the masks in {@code masks}, which must outlive the backward pass. */
    public <T> T trainingPass(NDManager masks, long seed, Supplier<T> body) {
        if (lora == null || lora.dropout().probability() == 0) {
            return body.get();
        }
        lora.dropout().begin(masks, seed);
        try {
            return body.get();
        } finally {
            lora.dropout().end();
        }
    }

    /**
     * A frozen copy of this model's current state in {@code m} (e.g. GRPO's KL reference): with adapters, the base
     * arrays are shared (frozen, so they cannot change) and only the adapters copied; without, every parameter is
     * copied. Closing the copy closes {@code m} only.
     */
    public Transformer frozenCopy(NDManager m) {
        if (lora != null) {
            Transformer t = baseView(m);
            t.attach(lora.copy(m));
            return t;
        }
        Map<String, NDArray> copy = new LinkedHashMap<>();
        params.forEach((k, a) -> copy.put(k, m.create(a.toFloatArray(), a.getShape()))); // F32, as trained weights are
        return new Transformer(config, m, copy);
    }

    /**
     * The base with the adapters merged into its weights (W + scale·B·A), without adapters, in {@code m}: what
     * {@code distill merge} writes. Unadapted parameters are shared, not copied.
     */
    public Transformer merged(NDManager m) {
        if (lora == null) {
            throw new IllegalStateException("no adapters to merge");
        }
        Map<NDArray, String> names = new java.util.IdentityHashMap<>();
        params.forEach((k, a) -> names.put(a, k));
        Map<String, NDArray> out = new LinkedHashMap<>(params);
        for (Weights.Linear l : weights.linears()) {
            if (l.adapter() != null) {
                out.put(names.get(l.weight()), l.merged(m).weight());
            }
        }
        return new Transformer(config, m, out);
    }

    /**
     * An immutable inference view whose separate q/k/v and gate/up projections are concatenated copies (see
     * {@link Weights#packed}). Valid until closed; it does not see later updates of the weights, so only
     * no-gradient paths (sampling) use it.
     */
    public Fusion fuseForInference() {
        NDManager m = manager.newSubManager();
        InferenceWeights fused = InferenceWeights.of(weights.packed(m), config, m);
        if (!fusedBefore) {
            // folding frees its intermediates in holes between the arrays it keeps, which malloc keeps resident under
            // the launcher's settings (0.9 GB at Qwen3-0.6B): returned once, at the model's first decoding form, and
            // only where they can be large. Later forms (a training loop's samples) reuse those holes, and every trim
            // also hands back the freed activations that the launcher keeps so that steps need not page-fault them in
            // again: the lab's small models, made by the dozen, have a few MB of holes and are not worth that.
            fusedBefore = true;
            if (bytes(m) >= TRIM_AFTER_FUSION_BYTES) {
                NativeMemory.trim();
            }
        }
        PairedTables pairs = null;
        if (fused.folding().pairedRope()) {
            NDArray global = rope.paired(m);
            pairs = new PairedTables(global, localRope == rope ? global : localRope.paired(m));
        }
        return new Fusion(m, fused, pairs);
    }

    /** The bytes of the arrays {@code m} holds. */
    private static long bytes(NDManager m) {
        long total = 0;
        for (NDArray a : m.getManagedArrays()) {
            total += a.size() * a.getDataType().getNumOfBytes();
        }
        return total;
    }

    /** The forward pass over the packed weights of {@link #fuseForInference}. */
    public final class Fusion implements AutoCloseable {
        private final NDManager fusedManager;
        private final InferenceWeights fused;

        private final PairedTables pairs;

        private Fusion(NDManager fusedManager, InferenceWeights fused, PairedTables pairs) {
            this.pairs = pairs;
            this.fusedManager = fusedManager;
            this.fused = fused;
        }

        /** As {@link Transformer#hidden}. */
        public NDArray hidden(NDArray ids, NDArray positions, NDArray mask, KvCache cache) {
            return Transformer.this.hidden(fused.weights(), fused.folding(), pairs, ids, positions, mask, null, cache);
        }

        /**
         * As {@link Transformer#hidden}, with the sliding layers' mask given too ({@code windowed}, null for models without
         * sliding layers): a caller whose cache holds gaps between a row's entries (rows seated at different steps) must
         * build it from positions, since narrowing the full mask by cache index is exact only without gaps.
         */
        public NDArray hidden(NDArray ids, NDArray positions, NDArray mask, NDArray windowed, KvCache cache) {
            return Transformer.this.hidden(fused.weights(), fused.folding(), pairs, ids, positions, mask, windowed, cache);
        }

        /** As {@link Transformer#logits}. */
        public NDArray logits(NDArray hidden) {
            return Transformer.this.logits(hidden);
        }

        @Override
        public void close() {
            fusedManager.close();
        }
    }

    /**
     * Final hidden states [B, T, H] (after the last norm).
     *
     * @param ids       token ids [B, T] (int64)
     * @param positions position ids [B, T] (int64); null means cache length + 0..T-1 for every row
     * @param mask      additive attention mask broadcastable to [B, 1, T, S] (0 or {@link #MASKED}), S = cached + T,
     *                  with the window of {@link ModelConfig#slidingWindow()}; null means plain causal over the whole
     *                  batch. Models that mix sliding and full layers take the full mask and narrow it per layer.
     * @param cache     KV cache to read and extend, or null
     */
    public NDArray hidden(NDArray ids, NDArray positions, NDArray mask, KvCache cache) {
        return hidden(weights, InferenceWeights.Folding.NONE, null, ids, positions, mask, null, cache);
    }

    /** @param pairs the rotation tables of folded weights whose rotary pairs sit side by side, else null */
    private NDArray hidden(Weights w, InferenceWeights.Folding folding, PairedTables pairs, NDArray ids, NDArray positions,
                           NDArray mask, NDArray windowedMask, KvCache cache) {
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
        NDArray windowed = windowedMask != null ? windowedMask : mask;
        if (windowedMask == null && config.mixedWindows() && past + t > config.windowTokens()) {
            // the caller's mask is the full one (ModelConfig.slidingWindow() is 0 for such models): narrow it by cache
            // index for the sliding layers, which equals distance in positions along every row of a left-padded batch
            windowed = mask.minimum(AttentionMask.causal(m, (int) t, past, config.windowTokens()));
        }
        NDArray x = lookup(w.embed(), ids);
        if (config.family().scaledEmbeddings()) {
            x = Scalars.mul(x, Math.sqrt(config.hiddenSize()));
        }
        Attention.Rotation global = null;
        Attention.Rotation local = null;
        if (w.positions() != null) {
            x = x.add(lookup(w.positions(), positions));
        } else {
            global = rotation(rope, positions, pairs == null ? null : pairs.global());
            local = localRope == rope ? global : rotation(localRope, positions, pairs == null ? null : pairs.local());
        }
        Attention attention = new Attention(config, b, t, cache, folding);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            // Every op's output is owned by its first input's manager, so a layer's intermediates (attention scores
            // before the softmax, norm temporaries, rotated halves…) would otherwise live until the caller closes
            // its manager: at batch 4 × 512 that is most of a training step's memory. Running the layer in its own
            // scope frees their handles as the pass goes, as Python's reference counting does; what backward needs
            // stays alive because autograd holds its own references to the tensors it saved.
            try (NDManager layerScope = m.newSubManager()) {
                x.tempAttach(layerScope);
                NDArray out = layer(i, w.layers().get(i), x, attention, global, local, mask, windowed,
                        folding != InferenceWeights.Folding.NONE);
                out.attach(m);
                x = out;
            }
        }
        if (cache != null) {
            cache.advance((int) t);
        }
        return norm(x, w.finalNorm());
    }

    /** One decoder block: x + attention, then + feed-forward (with Gemma's norms after each where present). */
    private NDArray layer(int i, Layer layer, NDArray x, Attention attention, Attention.Rotation global,
                          Attention.Rotation local, NDArray mask, NDArray windowed, boolean inference) {
        boolean sliding = config.window(i) > 0;
        NDArray a = attention.apply(i, layer, norm(x, layer.attnNorm()), sliding ? local : global, sliding ? windowed : mask);
        if (layer.postAttnNorm() != null) {
            a = norm(a, layer.postAttnNorm());
        }
        x = x.add(a);
        NDArray f = ffn(layer.ffn(), norm(x, layer.mlpNorm()), inference);
        if (layer.postMlpNorm() != null) {
            f = norm(f, layer.postMlpNorm());
        }
        // without autograd (folded inference weights) the sum may overwrite x, this layer's own temporary
        return inference ? x.addi(f) : x.add(f);
    }

    /**
     * The rotation of the positions, gathered per row so left-padded rows rotate by their own: cos/sin [B or 1, 1, T,
     * rotaryDim], or with {@code paired} (a decoding form's side-by-side table) cos + i·sin [B or 1, T, 1, d/2].
     */
    private Attention.Rotation rotation(RopeTable table, NDArray positions, NDArray paired) {
        if (paired != null) {
            long[] shape = positions.getShape().getShape();
            NDArray turns = lookup(paired, positions).reshape(shape[0], shape[1], 1, paired.getShape().get(1) / 2, 2);
            return new Attention.PairedRotation(JniUtils.complex((PtNDArray) turns));
        }
        NDArray cos = table.cos();
        NDArray sin = table.sin();
        if (table.rope().type().equals("dynamic")) {
            // transformers recomputes the frequencies whenever a pass reaches past max_position_embeddings
            int seqLen = (int) positions.max().getLong() + 1;
            if (seqLen > config.maxPositionEmbeddings()) {
                RopeTable longer = table(positions.getManager(), table.rope(), seqLen);
                cos = longer.cos();
                sin = longer.sin();
            }
        }
        return new Attention.HalfRotation(lookup(cos, positions).expandDims(1), lookup(sin, positions).expandDims(1));
    }

    private static NDArray lookup(NDArray table, NDArray ids) {
        return table.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
    }

    private NDArray norm(NDArray x, Norm n) {
        return Ops.norm(config, x, n);
    }

    /** @param inference no autograd: SiLU and the gating may overwrite their own temporaries */
    private NDArray ffn(Weights.Ffn ffn, NDArray x, boolean inference) {
        return switch (ffn) {
            case Gated g -> linear(activation(linear(x, g.gate())).mul(linear(x, g.up())), g.down());
            case GatedPacked g -> {
                NDList gu = linear(x, g.gateUp()).split(new long[] {config.intermediateSize()}, x.getShape().dimension() - 1);
                if (inference && !config.family().geluTanh()) {
                    NDArray act = gu.get(0).getNDArrayInternal().sigmoid(); // silu(gate)·up in one buffer
                    yield linear(act.muli(gu.get(0)).muli(gu.get(1)), g.down());
                }
                yield linear(activation(gu.get(0)).mul(gu.get(1)), g.down());
            }
            case Plain p -> linear(activation(linear(x, p.fc())), p.proj());
        };
    }

    private NDArray activation(NDArray x) {
        return Ops.activation(config, x);
    }

    /** Logits [.., V] from hidden states [.., H] (soft-capped where the config says). */
    public NDArray logits(NDArray hidden) {
        NDArray logits = hidden.getNDArrayInternal().linear(hidden, headWeight(), null).singletonOrThrow();
        return Ops.softcap(logits, config.finalLogitSoftcap());
    }

    /** The LM head's weight [V, H]: the tied embedding, or lm_head.weight. */
    public NDArray headWeight() {
        return weights.head() == null ? weights.embed() : weights.head();
    }

    /** Full forward: logits [B, T, V]. */
    public NDArray forward(NDArray ids, NDArray positions, NDArray mask, KvCache cache) {
        return logits(hidden(ids, positions, mask, cache));
    }

    @Override
    public void close() {
        manager.close();
    }
}
