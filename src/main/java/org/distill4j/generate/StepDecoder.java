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
 * Decoding one step at a time over a batch whose rows come and go (continuous batching): the one decoding path of the
 * project ({@link Sampler} drives it for offline sampling, the server for its requests). Each call to {@link #step}
 * decodes one token for every row it is given: the rows already in the KV cache feed their last token in one forward
 * pass; new rows (or rows that were evicted and come back) are prefilled in a batch of their own ({@link Prefill}) and
 * their keys are copied into free slots of the running cache, so running rows never pad to a newcomer's prompt. Rows
 * whose tokens are equal (the n samples of one prompt) are prefilled once and share its keys. Rows not passed to a step
 * leave the batch; their cache entries are masked out and their slot is reused.
 *
 * <p>The cache's time axis is shared by all slots: a newcomer's keys sit just below the cache's current end (which moves
 * on when the newcomer is longer than what is stored) and everything before is masked for it; the attention mask is
 * built from each cached key's own position ({@link DecodeMasks}), which keeps causality and sliding windows exact
 * across such gaps. When the slots or the time axis run out, or most slots are empty, the cache is compacted: the
 * running rows' keys are copied into a fresh cache sized for them (no row is computed again).
 *
 * <p>Every row draws from its own random stream, one draw per step (or {@link TokenSampler}'s for truncated sampling), so
 * a row's tokens do not depend on which rows shared its steps. One thread only.
 */
public final class StepDecoder implements AutoCloseable {
    /** Cache positions allocated beyond the longest row when a cache is built, unless told otherwise. */
    private static final int DEFAULT_HEADROOM = 256;

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
            this(prompt, params, Sampler.stream(seed, 0, 0));
        }

        /** A row drawing from {@code rng} (which it then owns). */
        public Row(long[] prompt, SamplingParams params, SplittableRandom rng) {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("a prompt needs at least one token");
            }
            this.prompt = prompt.clone();
            this.params = params;
            this.rng = rng;
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

        int promptLength() {
            return prompt.length;
        }

        int sequenceLength() {
            return prompt.length + length;
        }

        long tokenAt(int i) {
            return i < prompt.length ? prompt[i] : generated[i - prompt.length];
        }

        /** A hash of the row's tokens (prompt and generated), as {@link Arrays#hashCode(long[])} of their concatenation. */
        int tokenHash() {
            int h = 1;
            for (int i = 0; i < sequenceLength(); i++) {
                long t = tokenAt(i);
                h = 31 * h + Long.hashCode(t);
            }
            return h;
        }

        /** Whether both rows hold the same tokens (so one prefill serves both). */
        boolean sameTokens(Row other) {
            if (other.sequenceLength() != sequenceLength()) {
                return false;
            }
            for (int i = 0; i < sequenceLength(); i++) {
                if (tokenAt(i) != other.tokenAt(i)) {
                    return false;
                }
            }
            return true;
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
    private final NDManager manager;
    private final int maxSlots;
    private final boolean sharePrompts;
    private final int headroom;
    private Transformer.Fusion fusion;
    private KvCache cache;
    private final PromptGroups groups;
    /** Slot of each row in the cache; slots not in use hold null in {@link #slotRow}. */
    private final Map<Row, Integer> slotOf = new IdentityHashMap<>();
    private Row[] slotRow = new Row[0];
    /** keyPos[slot][j]: the position of cache entry j for the slot's row, or -1 where it must not be attended. */
    private int[][] keyPos = new int[0][];
    private long rebuilds;
    private long prefilledTokens;
    private long sharedPromptSteps;

    /** @param maxSlots rows the cache is allocated for at most (a step may still pass more; the cache then fits them) */
    public StepDecoder(Transformer model, int maxSlots) {
        this(model, maxSlots, true, DEFAULT_HEADROOM);
    }

    /**
     * @param sharePrompts whether rows joining in one step with equal tokens are prefilled once (false computes each
     *                     row's prefill on its own, as a baseline for benchmarks)
     * @param headroom     cache positions allocated beyond the longest row when a cache is built (a caller that knows how
     *                     many tokens its rows will draw saves zeroing memory it never uses; too few only means more
     *                     compactions)
     */
    public StepDecoder(Transformer model, int maxSlots, boolean sharePrompts, int headroom) {
        if (headroom < 1) {
            throw new IllegalArgumentException("headroom must be >= 1, got " + headroom);
        }
        this.model = model;
        this.maxSlots = maxSlots;
        this.sharePrompts = sharePrompts;
        this.headroom = headroom;
        this.vocab = model.config().vocabSize();
        this.maxPositions = model.config().maxPositionEmbeddings();
        this.manager = model.manager().newSubManager();
        this.groups = new PromptGroups(manager, model.config());
    }

    /** How often a cache was built or compacted; for tests and stats. */
    public long rebuilds() {
        return rebuilds;
    }

    /** Steps that read a prompt stored once for several rows ({@link PromptGroups}); for tests and stats. */
    public long sharedPromptSteps() {
        return sharedPromptSteps;
    }

    /** Tokens run through prefill passes so far (a shared prompt counts once); for tests and stats. */
    public long prefilledTokens() {
        return prefilledTokens;
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
            // rows whose tokens equal another newcomer's share a stored prompt (PromptGroups) and need no own entries yet
            Prefill.Distinct distinct = Prefill.Distinct.of(joining, sharePrompts);
            int ownLongest = distinct.longestUnshared(joining);
            if (!fits(rows, running, joining, ownLongest)) {
                compact(rows, running, ownLongest);
            }
            Map<Row, Token> drawn = new IdentityHashMap<>();
            if (!running.isEmpty()) {
                for (Token t : forward(running)) {
                    drawn.put(t.row(), t);
                }
            }
            if (!joining.isEmpty()) {
                for (Token t : seat(joining, distinct, ownLongest)) {
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
                groups.leave(s);
                slotOf.remove(slotRow[s]);
                slotRow[s] = null;
                Arrays.fill(keyPos[s], -1);
            }
        }
    }

    /** The cache's length once this step's running rows have written their token (newcomers are seated below it). */
    private int endAfterStep(boolean anyRunning) {
        return cache.length() + (anyRunning ? 1 : 0);
    }

    /**
     * Whether this step can run on the cache as it is: the newcomers find free slots, the cache's end (moved on for a
     * longer newcomer) leaves room for the next step, and the batch is not mostly empty slots (which would waste every
     * step's compute).
     */
    private boolean fits(List<Row> rows, List<Row> running, List<Row> joining, int ownLongest) {
        if (cache == null) {
            return false;
        }
        int free = 0;
        for (Row s : slotRow) {
            free += s == null ? 1 : 0;
        }
        int end = Math.max(endAfterStep(!running.isEmpty()), ownLongest);
        return end + 1 <= cache.capacity() && joining.size() <= free && slotRow.length <= 2 * slotsFor(rows.size());
    }

    /** Slots for a batch of n rows: a few spare, so that a request arriving next joins without another compaction. */
    private int slotsFor(int n) {
        return Math.max(n, Math.min(maxSlots, n + Math.max(2, n / 4)));
    }

    /**
     * A fresh cache sized for this step's rows, holding the running rows' keys copied from the old one (each row's
     * entries are one contiguous run ending at the old cache's end); the newcomers are seated after.
     */
    private void compact(List<Row> rows, List<Row> running, int ownLongest) {
        int stored = 0;
        int[] own = new int[running.size()];
        for (int i = 0; i < running.size(); i++) {
            for (int k : keyPos[slotOf.get(running.get(i))]) {
                own[i] += k >= 0 ? 1 : 0; // the row's own entries (a shared prompt lives in PromptGroups)
            }
            stored = Math.max(stored, own[i]);
        }
        int capacity = Math.max(stored + 1, ownLongest) + headroom;
        int slots = slotsFor(rows.size());
        KvCache fresh = new KvCache(manager, model.config(), slots, capacity);
        fresh.skip(stored);
        Row[] newRow = new Row[slots];
        int[][] newPos = new int[slots][capacity];
        for (int[] k : newPos) {
            Arrays.fill(k, -1);
        }
        int[] newSlotOf = new int[slotRow.length];
        Arrays.fill(newSlotOf, -1);
        for (int s = 0; s < running.size(); s++) {
            Row r = running.get(s);
            int old = slotOf.get(r);
            newSlotOf[old] = s;
            // the row's entries, in order, packed to end at `stored`: they are contiguous runs separated by the gaps
            // that longer newcomers opened (KvCache.skip), so each run is one copy
            int at = stored - own[s];
            int j = 0;
            while (j < cache.length()) {
                if (keyPos[old][j] < 0) {
                    j++;
                    continue;
                }
                int runStart = j;
                while (j < cache.length() && keyPos[old][j] >= 0) {
                    newPos[s][at + j - runStart] = keyPos[old][j];
                    j++;
                }
                fresh.copyRow(cache, old, runStart, j - runStart, s, at);
                at += j - runStart;
            }
            newRow[s] = r;
        }
        closeCache();
        cache = fresh;
        groups.reseat(newSlotOf, slots);
        slotRow = newRow;
        keyPos = newPos;
        slotOf.clear();
        for (int s = 0; s < running.size(); s++) {
            slotOf.put(running.get(s), s);
        }
        rebuilds++;
    }

    /** One token for each running row: every slot feeds its last token at the cache's end. */
    private List<Token> forward(List<Row> running) {
        int b = slotRow.length;
        int past = cache.length();
        long[] ids = new long[b];
        long[] positions = new long[b];
        int[] queryPos = new int[b];
        Arrays.fill(queryPos, -1);
        for (int s = 0; s < b; s++) {
            Row r = slotRow[s];
            if (r == null) {
                continue; // an empty slot computes padding that nobody reads
            }
            int last = r.sequenceLength() - 1;
            ids[s] = r.tokenAt(last);
            positions[s] = last;
            queryPos[s] = last;
            keyPos[s][past] = last;
        }
        List<Token> out = new ArrayList<>(running.size());
        try (NDManager m = manager.newSubManager()) {
            DecodeMasks masks = DecodeMasks.of(m, model.config(), keyPos, queryPos, past + 1, groups);
            org.distill4j.lm.SharedPrefixes.Step shared = groups.step(m, slotRow);
            sharedPromptSteps += shared == null ? 0 : 1;
            cache.readPrefixes(shared);
            NDArray hidden;
            try {
                hidden = fusion.hidden(m.create(ids, new Shape(b, 1)), m.create(positions, new Shape(b, 1)), masks.full(),
                        masks.windowed(), cache);
            } finally {
                cache.readPrefixes(null);
            }
            NDArray logits = fusion.logits(hidden).reshape(b, vocab);
            Token[] bySlot = StepDraws.draw(m, logits, slotRow, vocab);
            for (Row r : running) {
                Token tok = bySlot[slotOf.get(r)];
                r.append(tok.id());
                out.add(tok);
            }
        }
        return out;
    }

    /**
     * Newcomers: prefilled in batches of their own ({@link Prefill}, one pass per distinct token sequence), their first
     * token drawn from that pass, then their keys copied into free slots of the running cache just below its end, where
     * the next step finds them. The running rows never wait for, or pad to, a newcomer's prompt.
     */
    private List<Token> seat(List<Row> joining, Prefill.Distinct distinct, int ownLongest) {
        if (cache.length() < ownLongest) {
            cache.skip(ownLongest - cache.length());
        }
        int end = cache.length();
        Map<Row, Token> drawn = new IdentityHashMap<>();
        prefilledTokens += Prefill.run(manager, fusion, model.config(), joining, distinct, (group, prefill, logits, sourceOf) -> {
            Row[] rowsAt = group.toArray(Row[]::new);
            Token[] tokens = StepDraws.draw(logits.getManager(), logits, rowsAt, vocab);
            int[] served = new int[rowsAt.length]; // rows per distinct sequence of this pass
            for (int src : sourceOf) {
                served[src]++;
            }
            Map<Integer, Integer> groupOfSource = new java.util.HashMap<>();
            for (int i = 0; i < rowsAt.length; i++) {
                Row r = rowsAt[i];
                int s = 0;
                while (slotRow[s] != null) {
                    s++;
                }
                int len = r.sequenceLength();
                if (served[sourceOf[i]] > 1) {
                    // rows of one prompt: it is stored once and each row's own entries start after it
                    int src = sourceOf[i];
                    groups.assign(s, groupOfSource.computeIfAbsent(src,
                            x -> groups.create(prefill, src, prefill.capacity() - len, len, served[src])));
                } else {
                    cache.copyRow(prefill, sourceOf[i], prefill.capacity() - len, len, s, end - len);
                    for (int k = 0; k < len; k++) {
                        keyPos[s][end - len + k] = k;
                    }
                }
                slotRow[s] = r;
                slotOf.put(r, s);
                r.append(tokens[i].id());
                drawn.put(r, tokens[i]);
            }
        });
        List<Token> out = new ArrayList<>(joining.size());
        for (Row r : joining) {
            out.add(drawn.get(r));
        }
        return out;
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
        groups.clear();
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
        groups.close();
        manager.close();
    }
}
