package org.distill4j.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.lm.KvCache;
import org.distill4j.lm.Transformer;

/**
 * Decoding one step at a time over a batch whose rows come and go (continuous batching). Each call to
 * {@link #step} decodes one token for every row it is given: the rows already in the KV cache feed their
 * last token in one forward pass; new rows (or rows that were evicted and come back) are prefilled in a
 * small batch of their own, and their keys are copied into free slots of the running cache, so running rows
 * never pad to a newcomer's prompt. Rows that are not passed to a step leave the batch; their cache entries
 * are masked out and their slot is reused.
 *
 * <p>The cache's time axis is shared by all slots, so a newcomer's keys sit just below the cache's current
 * end and everything before is masked for it; the attention mask is built from each cached key's own
 * position, which keeps causality and sliding windows exact across such gaps. When the slots or the
 * cache's length run out, or a newcomer is longer than the cache, the cache is rebuilt: every row is
 * prefilled again from its tokens (recomputing rather than copying keys, as vLLM's preemption does), which
 * also drops the gaps.
 *
 * <p>Every row draws from its own random stream, one draw per step (or {@link TokenSampler}'s for
 * truncated sampling), so a row's tokens do not depend on which rows shared its steps. One thread only.
 */
public final class StepDecoder implements AutoCloseable {
    /** Additive mask value, as {@code Transformer}'s: finite, so a fully masked (padding) query stays finite. */
    private static final float MASKED = -1e9f;
    /** Cache positions allocated beyond the longest row at a rebuild, so rebuilds are rare. */
    private static final int HEADROOM = 256;

    /** One sequence being decoded: its prompt, sampling settings, random stream and tokens so far. */
    public static final class Row {
        private final long[] prompt;
        final SamplingParams params;
        final SplittableRandom rng;
        private long[] generated = new long[16];
        private int length;

        /**
         * @param params per-row sampling: temperature, top-k, top-p and top-logprobs are used; n, seed, stop,
         *               eos and max tokens are the caller's business
         * @param seed   the row's stream, as {@link Sampler#generate(List, long[], SamplingParams)} derives it
         */
        public Row(long[] prompt, SamplingParams params, long seed) {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("a prompt needs at least one token");
            }
            this.prompt = prompt.clone();
            this.params = params;
            this.rng = Sampler.stream(seed, 0, 0);
        }

        public long[] prompt() {
            return prompt.clone();
        }

        public int generatedLength() {
            return length;
        }

        public long[] generated() {
            return Arrays.copyOf(generated, length);
        }

        int sequenceLength() {
            return prompt.length + length;
        }

        long tokenAt(int i) {
            return i < prompt.length ? prompt[i] : generated[i - prompt.length];
        }

        void append(long token) {
            if (length == generated.length) {
                generated = Arrays.copyOf(generated, length * 2);
            }
            generated[length++] = token;
        }
    }

    /** The token a step drew for a row, with its untempered log-prob and (when asked) the top k. */
    public record Token(Row row, long id, float logprob, TopLogprobs top) {}

    private final Transformer model;
    private final int vocab;
    private final int maxPositions;
    private final int window;
    private final NDManager manager;
    private final int maxSlots;
    private Transformer.Fusion fusion;
    private KvCache cache;
    /** Slot of each row in the cache; slots not in use hold null in {@link #slotRow}. */
    private final Map<Row, Integer> slotOf = new IdentityHashMap<>();
    private Row[] slotRow = new Row[0];
    /** keyPos[slot][j]: the position of cache entry j for the slot's row, or -1 where it must not be attended. */
    private int[][] keyPos = new int[0][];
    private long rebuilds;

    /** @param maxSlots rows the cache is allocated for at most (a step may still pass more; the cache then fits them) */
    public StepDecoder(Transformer model, int maxSlots) {
        this.model = model;
        this.maxSlots = maxSlots;
        this.vocab = model.config().vocabSize();
        this.maxPositions = model.config().maxPositionEmbeddings();
        this.window = model.config().slidingWindow();
        this.manager = model.manager().newSubManager();
    }

    /** How often the cache was rebuilt (rows prefilled again); for tests and stats. */
    public long rebuilds() {
        return rebuilds;
    }

    /**
     * Decodes one token for each of {@code rows} (in any order; at least one). Rows decoded before and not
     * passed now leave the batch. Returns the tokens in the order of {@code rows}; each row's token is
     * also appended to it.
     */
    public List<Token> step(List<Row> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("a step needs at least one row");
        }
        for (Row r : rows) {
            if (r.sequenceLength() >= maxPositions) {
                throw new IllegalArgumentException("a row of " + r.sequenceLength() + " tokens has reached the context length "
                        + maxPositions);
            }
        }
        boolean gradMode = ai.djl.pytorch.jni.JniUtils.isGradMode();
        if (gradMode) {
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        }
        try {
            if (fusion == null) {
                fusion = model.fuseForInference();
            }
            release(rows);
            List<Row> running = new ArrayList<>();
            List<Row> joining = new ArrayList<>();
            for (Row r : rows) {
                (slotOf.containsKey(r) ? running : joining).add(r);
            }
            if (!fits(rows, running, joining)) {
                rebuild(rows);
                return forward(rows, joinWidth(rows)); // every row prefilled in one pass
            }
            Map<Row, Token> drawn = new IdentityHashMap<>();
            for (Token t : forward(running, 1)) {
                drawn.put(t.row(), t);
            }
            if (!joining.isEmpty()) {
                for (Token t : seat(joining)) {
                    drawn.put(t.row(), t);
                }
            }
            List<Token> out = new ArrayList<>(rows.size());
            for (Row r : rows) {
                out.add(drawn.get(r));
            }
            return out;
        } finally {
            if (gradMode) {
                ai.djl.pytorch.jni.JniUtils.setGradMode(true);
            }
        }
    }

    /** Frees the slots of rows that are not in this step. */
    private void release(List<Row> rows) {
        Map<Row, Boolean> keep = new IdentityHashMap<>();
        for (Row r : rows) {
            keep.put(r, Boolean.TRUE);
        }
        for (int s = 0; s < slotRow.length; s++) {
            if (slotRow[s] != null && !keep.containsKey(slotRow[s])) {
                slotOf.remove(slotRow[s]);
                slotRow[s] = null;
                Arrays.fill(keyPos[s], -1);
            }
        }
    }

    /** Tokens fed per row this step: 1, or the longest sequence of a row that is not in the cache. */
    private int joinWidth(List<Row> rows) {
        int width = 1;
        for (Row r : rows) {
            if (!slotOf.containsKey(r)) {
                width = Math.max(width, r.sequenceLength());
            }
        }
        return width;
    }

    /**
     * Whether this step can run on the cache as it is: some rows are running, one more position fits, the
     * newcomers find free slots and their prefilled keys fit below the cache's length after this step, and the
     * batch is not mostly empty slots (which would waste every step's compute).
     */
    private boolean fits(List<Row> rows, List<Row> running, List<Row> joining) {
        if (cache == null || running.isEmpty() || cache.length() + 1 > cache.capacity()) {
            return false;
        }
        int free = 0;
        for (Row s : slotRow) {
            free += s == null ? 1 : 0;
        }
        for (Row r : joining) {
            if (r.sequenceLength() > cache.length() + 1) {
                return false;
            }
        }
        return joining.size() <= free && slotRow.length <= 2 * slotsFor(rows.size());
    }

    /** Slots for a batch of n rows: a few spare, so that a request arriving next joins without another rebuild. */
    private int slotsFor(int n) {
        return Math.max(n, Math.min(maxSlots, n + Math.max(2, n / 4)));
    }

    /** A fresh cache sized for these rows; every row joins it (is prefilled) in this step. */
    private void rebuild(List<Row> rows) {
        closeCache();
        int longest = 0;
        for (Row r : rows) {
            longest = Math.max(longest, r.sequenceLength());
        }
        int capacity = longest + HEADROOM;
        int slots = slotsFor(rows.size());
        cache = new KvCache(manager, model.config(), slots, capacity);
        slotRow = new Row[slots];
        keyPos = new int[slots][capacity];
        for (int[] k : keyPos) {
            Arrays.fill(k, -1);
        }
        slotOf.clear();
        rebuilds++;
    }

    private List<Token> forward(List<Row> rows, int t) {
        // joining rows take free slots
        boolean[] joining = new boolean[slotRow.length];
        for (Row r : rows) {
            if (!slotOf.containsKey(r)) {
                int s = 0;
                while (slotRow[s] != null) {
                    s++;
                }
                slotRow[s] = r;
                slotOf.put(r, s);
                joining[s] = true;
            }
        }
        int b = slotRow.length;
        int past = cache.length();
        long[] ids = new long[b * t];
        long[] positions = new long[b * t];
        int[][] queryPos = new int[b][t];
        for (int s = 0; s < b; s++) {
            Arrays.fill(queryPos[s], -1);
            Row r = slotRow[s];
            if (r == null) {
                continue; // an empty slot computes padding that nobody reads
            }
            int len = r.sequenceLength();
            // a joining row feeds all its tokens right-aligned; a running row its last one
            int from = joining[s] ? 0 : len - 1;
            int fed = len - from;
            for (int i = 0; i < fed; i++) {
                int col = t - fed + i;
                ids[s * t + col] = r.tokenAt(from + i);
                positions[s * t + col] = from + i;
                queryPos[s][col] = from + i;
                keyPos[s][past + col] = from + i;
            }
        }
        List<Token> out = new ArrayList<>(rows.size());
        try (NDManager m = manager.newSubManager()) {
            NDArray idArr = m.create(ids, new Shape(b, t));
            NDArray posArr = m.create(positions, new Shape(b, t));
            NDArray mask = mask(m, queryPos, past, t);
            NDArray hidden = fusion.hidden(idArr, posArr, mask, cache);
            NDArray last = t == 1 ? hidden : hidden.get(":, -1:, :");
            NDArray logits = fusion.logits(last).reshape(b, vocab);
            Token[] bySlot = StepDraws.draw(m, logits, slotRow, vocab);
            for (Row r : rows) {
                Token tok = bySlot[slotOf.get(r)];
                r.append(tok.id());
                out.add(tok);
            }
        }
        return out;
    }

    /**
     * Newcomers: prefilled together in a small batch of their own (left-padded), their first token drawn from
     * that pass, then their keys copied into free slots of the running cache just below its end, where the
     * next step finds them. The running rows never wait for, or pad to, a newcomer's prompt.
     */
    private List<Token> seat(List<Row> joining) {
        int j = joining.size();
        int longest = joinWidth(joining);
        long[] ids = new long[j * longest];
        long[] positions = new long[j * longest];
        boolean[][] valid = new boolean[j][longest];
        for (int i = 0; i < j; i++) {
            Row r = joining.get(i);
            int pad = longest - r.sequenceLength();
            for (int k = 0; k < r.sequenceLength(); k++) {
                ids[i * longest + pad + k] = r.tokenAt(k);
                positions[i * longest + pad + k] = k;
                valid[i][pad + k] = true;
            }
        }
        try (NDManager m = manager.newSubManager();
             KvCache prefill = new KvCache(m, model.config(), j, longest)) {
            NDArray mask = org.distill4j.lm.AttentionMask.padded(m, valid, longest, 0, window);
            NDArray hidden = fusion.hidden(m.create(ids, new Shape(j, longest)), m.create(positions, new Shape(j, longest)),
                    mask, prefill);
            NDArray last = longest == 1 ? hidden : hidden.get(":, -1:, :");
            Token[] drawn = StepDraws.draw(m, fusion.logits(last).reshape(j, vocab), joining.toArray(Row[]::new), vocab);
            int end = cache.length();
            int s = 0;
            for (int i = 0; i < j; i++) {
                Row r = joining.get(i);
                while (slotRow[s] != null) {
                    s++;
                }
                int len = r.sequenceLength();
                cache.copyRow(prefill, i, longest - len, len, s, end - len);
                for (int k = 0; k < len; k++) {
                    keyPos[s][end - len + k] = k;
                }
                slotRow[s] = r;
                slotOf.put(r, s);
                r.append(drawn[i].id());
            }
            return List.of(drawn);
        }
    }

    /** [B, 1, T, past + T]: query (s, i) sees cache entry j when j is at or before it and holds an earlier position of its row. */
    private NDArray mask(NDManager m, int[][] queryPos, int past, int t) {
        int b = queryPos.length;
        int len = past + t;
        float[] mask = new float[b * t * len];
        Arrays.fill(mask, MASKED);
        for (int s = 0; s < b; s++) {
            for (int i = 0; i < t; i++) {
                int q = queryPos[s][i];
                if (q < 0) {
                    continue;
                }
                int base = (s * t + i) * len;
                for (int j = 0; j <= past + i; j++) {
                    int k = keyPos[s][j];
                    if (k >= 0 && k <= q && (window <= 0 || q - k < window)) {
                        mask[base + j] = 0f;
                    }
                }
            }
        }
        return m.create(mask, new Shape(b, 1, t, len));
    }

    private void closeCache() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }

    /** Drops the batch and the cache (the decoder can be used again: rows are prefilled anew). */
    public void reset() {
        closeCache();
        slotOf.clear();
        slotRow = new Row[0];
        keyPos = new int[0][];
        if (fusion != null) {
            fusion.close();
            fusion = null;
        }
    }

    @Override
    public void close() {
        reset();
        manager.close();
    }
}
