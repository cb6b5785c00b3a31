package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.util.Json;
import org.distill4j.util.Scalars;

/**
 * A checkpoint in use: the transformer, its tokenizer and the end-of-sequence ids from config.json
 * and generation_config.json. Offers logits of a padded batch and per-token scoring of responses.
 */
public final class LanguageModel implements AutoCloseable {
    private final NDManager manager;
    private final Transformer transformer;
    private final Tokenizer tokenizer;
    private final Set<Integer> eosIds;
    private final Path generationConfig;

    public LanguageModel(NDManager manager, Transformer transformer, Tokenizer tokenizer, Set<Integer> eosIds,
                         Path generationConfig) {
        this.manager = manager;
        this.transformer = transformer;
        this.tokenizer = tokenizer;
        this.eosIds = Set.copyOf(eosIds);
        this.generationConfig = generationConfig;
    }

    /** Loads a Hugging Face checkpoint directory (tokenizer.json required). */
    public static LanguageModel load(Path dir) {
        return load(dir, null);
    }

    /** Loads a checkpoint with a PEFT LoRA adapter directory applied on it ({@code adapter} null: none). */
    public static LanguageModel load(Path dir, Path adapter) {
        NDManager base = NDManager.newBaseManager();
        try {
            Transformer t = Checkpoint.loadTransformer(dir, base);
            if (adapter != null) {
                Checkpoint.attachAdapter(adapter, t);
            }
            Tokenizer tok = Checkpoint.loadTokenizer(dir, t.config());
            Set<Integer> eos = new LinkedHashSet<>(t.config().eosTokenIds());
            Path gen = dir.resolve(Checkpoint.GENERATION_CONFIG);
            if (Files.isRegularFile(gen)) {
                JsonNode e = Json.read(gen).get("eos_token_id");
                if (e != null && e.isArray()) {
                    e.forEach(x -> eos.add(x.asInt()));
                } else if (e != null && e.isInt()) {
                    eos.add(e.asInt());
                }
            }
            return new LanguageModel(base, t, tok, eos, Files.isRegularFile(gen) ? gen : null);
        } catch (RuntimeException e) {
            base.close();
            throw e;
        }
    }

    public Transformer transformer() {
        return transformer;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ModelConfig config() {
        return transformer.config();
    }

    public NDManager manager() {
        return manager;
    }

    public Set<Integer> eosIds() {
        return eosIds;
    }

    /** Token ids of a prompt, with the special tokens (BOS) the tokenizer file adds. */
    public long[] encodePrompt(String text) {
        return tokenizer.encode(text, true);
    }

    /** Saves weights, config, tokenizer and generation config as a checkpoint directory. */
    public void save(Path dir, Safetensors.DType storage) {
        Map<String, Path> extra = new LinkedHashMap<>();
        extra.put(Checkpoint.TOKENIZER, tokenizer.file());
        if (generationConfig != null) {
            extra.put(Checkpoint.GENERATION_CONFIG, generationConfig);
        }
        Checkpoint.save(dir, transformer, storage, extra);
    }

    /** Right-pads rows with the pad id (0 when the config has none) into an int64 [B, T] array. */
    public static NDArray rightPadded(NDManager m, List<long[]> rows, long pad) {
        int t = 0;
        for (long[] r : rows) {
            t = Math.max(t, r.length);
        }
        long[] flat = new long[rows.size() * t];
        java.util.Arrays.fill(flat, pad);
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, flat, i * t, rows.get(i).length);
        }
        return m.create(flat, new Shape(rows.size(), t));
    }

    /**
     * Logits at the positions that predict each response token, for a batch of prompt + response rows.
     *
     * @param logits  [B, R, V]: row i, position j predicts response token j given the prompt and tokens before it
     * @param targets [B, R] int64 response tokens (0 past a row's end)
     * @param mask    [B, R] float: 1 for real response positions, 0 for padding
     */
    public record ResponseLogits(NDArray logits, NDArray targets, NDArray mask) {
        /** log p(target) [B, R], 0 at padded positions. */
        public NDArray targetLogProbs() {
            return targetLogProbs(1.0);
        }

        /** log p(target) [B, R] under the distribution of logits / {@code temperature}, 0 at padded positions. */
        public NDArray targetLogProbs(double temperature) {
            long b = targets.getShape().get(0);
            long r = targets.getShape().get(1);
            NDArray scaled = temperature == 1.0 ? logits : Scalars.div(logits, temperature);
            return scaled.logSoftmax(2).gather(targets.reshape(b, r, 1), 2).reshape(b, r).mul(mask);
        }
    }

    /**
     * Response-position logits of prompt + response rows (right-padded). Differentiable: call inside a
     * GradientCollector to train on it. Right padding needs no key mask: a padded key is only visible
     * to query positions at or after it, which are padding too. Only the positions that predict
     * response tokens go through the LM head.
     */
    public static ResponseLogits responseLogits(Transformer model, NDManager m, List<long[]> prompts, List<long[]> responses) {
        return withLogits(model, responseHidden(model, m, prompts, responses));
    }

    /** Only the response positions go through the LM head. */
    private static ResponseLogits withLogits(Transformer model, ResponseHidden h) {
        return new ResponseLogits(model.logits(h.hidden()), h.targets(), h.mask());
    }

    /** {@link ResponseHidden} of prompt + response rows (right-padded); differentiable, like {@link #responseLogits}. */
    public static ResponseHidden responseHidden(Transformer model, NDManager m, List<long[]> prompts, List<long[]> responses) {
        int b = prompts.size();
        List<long[]> rows = new ArrayList<>(b);
        int r = 0;
        for (int i = 0; i < b; i++) {
            long[] p = prompts.get(i);
            long[] y = responses.get(i);
            long[] row = java.util.Arrays.copyOf(p, p.length + y.length);
            System.arraycopy(y, 0, row, p.length, y.length);
            rows.add(row);
            r = Math.max(r, y.length);
        }
        long pad = Math.max(0, model.config().padTokenId());
        NDArray ids = rightPadded(m, rows, pad);
        long[] from = new long[b * r];
        long[] target = new long[b * r];
        float[] valid = new float[b * r];
        for (int i = 0; i < b; i++) {
            int p = prompts.get(i).length;
            long[] y = responses.get(i);
            for (int j = 0; j < r; j++) {
                boolean ok = j < y.length;
                from[i * r + j] = ok ? p - 1 + j : 0; // position p-1+j predicts response token j
                target[i * r + j] = ok ? y[j] : 0;
                valid[i * r + j] = ok ? 1f : 0f;
            }
        }
        NDArray hidden = model.hidden(ids, null, null, null);
        long h = hidden.getShape().get(2);
        NDArray index = m.create(from, new Shape(b, r, 1)).broadcast(new Shape(b, r, h));
        return new ResponseHidden(hidden.gather(index, 1), m.create(target, new Shape(b, r)), m.create(valid, new Shape(b, r)));
    }

    /**
     * The final hidden states at the positions that predict each response token, before the LM head (for
     * losses that apply the head themselves, block by block: {@link org.distill4j.loss.ChunkedHeadLoss}).
     *
     * @param hidden  [B, R, H]
     * @param targets [B, R] int64 response tokens (0 past a row's end)
     * @param mask    [B, R] float: 1 for real response positions, 0 for padding
     */
    public record ResponseHidden(NDArray hidden, NDArray targets, NDArray mask) {}

    /** log p of each response token given its prompt [B, R] (0 past a row's end); differentiable. */
    public static NDArray responseLogProbs(Transformer model, NDManager m, List<long[]> prompts, List<long[]> responses) {
        return responseLogits(model, m, prompts, responses).targetLogProbs();
    }

    /** Per-token log-probs of each response given its prompt, computed in batches without gradient. */
    public List<float[]> scoreResponses(List<long[]> prompts, List<long[]> responses, int batchSize) {
        return scoreResponses(transformer, prompts, responses, batchSize);
    }

    /** As {@link #scoreResponses(List, List, int)} for any transformer. */
    public static List<float[]> scoreResponses(Transformer transformer, List<long[]> prompts, List<long[]> responses, int batchSize) {
        List<float[]> out = new ArrayList<>(prompts.size());
        for (int s = 0; s < prompts.size(); s += batchSize) {
            int e = Math.min(prompts.size(), s + batchSize);
            try (NDManager m = transformer.manager().newSubManager()) {
                NDArray lp = responseLogProbs(transformer, m, prompts.subList(s, e), responses.subList(s, e));
                int r = (int) lp.getShape().get(1);
                float[] flat = lp.toType(DataType.FLOAT32, false).toFloatArray();
                for (int i = s; i < e; i++) {
                    float[] row = new float[responses.get(i).length];
                    System.arraycopy(flat, (i - s) * r, row, 0, row.length);
                    out.add(row);
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        tokenizer.close();
        manager.close();
    }
}
