package org.distill4j.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.AttentionMask;
import org.distill4j.lm.KvCache;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Transformer;

/**
 * The prefill of rows joining a decoding batch: each distinct token sequence is run once (the n samples of a prompt
 * share its pass and its keys), left-padded with the others into passes of at most {@link #TOKENS_PER_PASS} tokens, so
 * that a long prompt list does not hold every prompt's activations at once.
 */
final class Prefill {
    /** Tokens (rows × longest) per prefill pass: large enough for efficient products, small enough for memory. */
    static final int TOKENS_PER_PASS = 8192;

    /** What one pass hands over: its rows, its cache, their last-position logits [rows, V], each row's cache row. */
    interface Seat {
        void accept(List<StepDecoder.Row> rows, KvCache prefill, NDArray rowLogits, int[] sourceOf);
    }

    private Prefill() {}

    /**
     * The distinct token sequences among joining rows: {@code sequences} holds one row of each, {@code of[i]} the index of
     * row i's. Without sharing every row is its own sequence.
     */
    record Distinct(List<StepDecoder.Row> sequences, int[] of) {
        static Distinct of(List<StepDecoder.Row> rows, boolean share) {
            List<StepDecoder.Row> distinct = new ArrayList<>();
            java.util.Map<Integer, List<Integer>> byHash = new java.util.HashMap<>(); // distinct sequences by token hash
            int[] of = new int[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                StepDecoder.Row r = rows.get(i);
                int found = -1;
                if (share) {
                    for (int d : byHash.getOrDefault(r.tokenHash(), List.of())) {
                        if (distinct.get(d).sameTokens(r)) {
                            found = d;
                            break;
                        }
                    }
                }
                if (found < 0) {
                    found = distinct.size();
                    distinct.add(r);
                    byHash.computeIfAbsent(r.tokenHash(), k -> new ArrayList<>()).add(found);
                }
                of[i] = found;
            }
            return new Distinct(distinct, of);
        }

        /** The longest row whose sequence no other row shares (0 if none). */
        int longestUnshared(List<StepDecoder.Row> rows) {
            int[] copies = new int[sequences.size()];
            for (int d : of) {
                copies[d]++;
            }
            int longest = 0;
            for (int i = 0; i < of.length; i++) {
                longest = copies[of[i]] == 1 ? Math.max(longest, rows.get(i).sequenceLength()) : longest;
            }
            return longest;
        }
    }

    /**
     * Prefills {@code rows}, each distinct sequence of {@code distinct} once; {@code seat} is called once per pass, while
     * its cache and logits are alive.
     *
     * @return tokens computed (distinct sequences × the pass's padded length, summed over passes)
     */
    static long run(NDManager parent, Transformer.Fusion fusion, ModelConfig config, List<StepDecoder.Row> rows,
                    Distinct rowsDistinct, Seat seat) {
        List<StepDecoder.Row> distinct = rowsDistinct.sequences();
        int[] distinctOf = rowsDistinct.of();
        long computed = 0;
        int from = 0;
        while (from < distinct.size()) {
            int to = from + 1;
            int longest = distinct.get(from).sequenceLength();
            while (to < distinct.size()
                    && (long) (to + 1 - from) * Math.max(longest, distinct.get(to).sequenceLength()) <= TOKENS_PER_PASS) {
                longest = Math.max(longest, distinct.get(to).sequenceLength());
                to++;
            }
            computed += (long) (to - from) * longest;
            pass(parent, fusion, config, rows, distinct, distinctOf, from, to, longest, seat);
            from = to;
        }
        return computed;
    }

    /** One pass over distinct sequences [from, to), then {@code seat} for the rows they serve. */
    private static void pass(NDManager parent, Transformer.Fusion fusion, ModelConfig config, List<StepDecoder.Row> rows,
                             List<StepDecoder.Row> distinct, int[] distinctOf, int from, int to, int longest, Seat seat) {
        int u = to - from;
        long[] ids = new long[u * longest];
        long[] positions = new long[u * longest];
        boolean[][] valid = new boolean[u][longest];
        for (int i = 0; i < u; i++) {
            StepDecoder.Row r = distinct.get(from + i);
            int pad = longest - r.sequenceLength();
            for (int k = 0; k < r.sequenceLength(); k++) {
                ids[i * longest + pad + k] = r.tokenAt(k);
                positions[i * longest + pad + k] = k;
                valid[i][pad + k] = true;
            }
        }
        List<StepDecoder.Row> served = new ArrayList<>();
        List<Integer> sources = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            if (distinctOf[i] >= from && distinctOf[i] < to) {
                served.add(rows.get(i));
                sources.add(distinctOf[i] - from);
            }
        }
        int[] sourceOf = sources.stream().mapToInt(Integer::intValue).toArray();
        try (NDManager m = parent.newSubManager();
             KvCache prefill = KvCache.filledByPrefill(m, config, u, longest)) {
            // left-padded and fresh, so cache index distance is position distance: the model narrows sliding layers itself
            NDArray mask = AttentionMask.padded(m, valid, longest, 0, config.slidingWindow());
            NDArray hidden = fusion.hidden(m.create(ids, new Shape(u, longest)), m.create(positions, new Shape(u, longest)),
                    mask, prefill);
            NDArray last = longest == 1 ? hidden : hidden.get(":, -1:, :");
            NDArray logits = fusion.logits(last).reshape(u, config.vocabSize());
            NDArray rowLogits = served.size() == u && isIdentity(sourceOf) ? logits
                    : logits.get(m.create(java.util.Arrays.stream(sourceOf).mapToLong(x -> x).toArray()));
            seat.accept(served, prefill, rowLogits, sourceOf);
        }
    }

    private static boolean isIdentity(int[] sourceOf) {
        for (int i = 0; i < sourceOf.length; i++) {
            if (sourceOf[i] != i) {
                return false;
            }
        }
        return true;
    }
}
