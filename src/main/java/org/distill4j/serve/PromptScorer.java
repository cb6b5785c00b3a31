package org.distill4j.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.distill4j.generate.TopLogprobs;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Transformer;

/**
 * Per-token log-probs of prompts (echo scoring): one causal forward per batch of prompts, then the LM
 * head over slices of positions so that the [batch, positions, vocab] log-softmax never exceeds a fixed
 * number of floats, whatever the vocabulary and prompt length.
 */
final class PromptScorer {
    /** Floats of log-softmax held at once (64 MiB). */
    private static final long LOGIT_BUDGET = 1L << 24;

    private final Transformer model;
    private final int maxBatch;

    PromptScorer(Transformer model, int maxBatch) {
        this.model = model;
        this.maxBatch = maxBatch;
    }

    /** Scores of every prompt, with the top {@code k} tokens at each position when k > 0. */
    List<PromptScores> score(List<long[]> prompts, int k) {
        List<PromptScores> out = new ArrayList<>(prompts.size());
        for (int s = 0; s < prompts.size(); s += maxBatch) {
            out.addAll(scoreBatch(prompts.subList(s, Math.min(prompts.size(), s + maxBatch)), k));
        }
        return out;
    }

    private List<PromptScores> scoreBatch(List<long[]> rows, int k) {
        int b = rows.size();
        int vocab = model.config().vocabSize();
        float[][] lp = new float[b][];
        TopLogprobs[][] top = new TopLogprobs[b][];
        for (int i = 0; i < b; i++) {
            lp[i] = new float[rows.get(i).length];
            lp[i][0] = Float.NaN;
            top[i] = new TopLogprobs[rows.get(i).length];
        }
        try (NDManager m = model.manager().newSubManager()) {
            long pad = Math.max(0, model.config().padTokenId());
            NDArray ids = LanguageModel.rightPadded(m, rows, pad);
            int t = (int) ids.getShape().get(1);
            // right padding needs no key mask: padded keys are seen only by padded queries
            NDArray hidden = model.hidden(ids, null, null, null);
            int slice = (int) Math.max(1, Math.min(t, LOGIT_BUDGET / ((long) b * vocab)));
            for (int s0 = 0; s0 < t - 1; s0 += slice) {
                int s1 = Math.min(t - 1, s0 + slice);
                int len = s1 - s0;
                long[] next = new long[b * len]; // position p predicts token p + 1
                for (int i = 0; i < b; i++) {
                    long[] row = rows.get(i);
                    for (int p = s0; p < s1; p++) {
                        next[i * len + p - s0] = p + 1 < row.length ? row[p + 1] : 0;
                    }
                }
                try (NDManager sm = m.newSubManager()) {
                    NDArray h = hidden.get(":, " + s0 + ":" + s1 + ", :");
                    h.attach(sm); // its log-softmax is the big array: free it with the slice
                    NDArray logp = model.logits(h).logSoftmax(-1);
                    float[] chosen = logp.gather(sm.create(next, new Shape(b, len, 1)), 2).toFloatArray();
                    TopLogprobs[] best = k > 0 ? TopLogprobs.ofRows(logp.reshape(b * len, vocab), k) : null;
                    for (int i = 0; i < b; i++) {
                        int rowLen = rows.get(i).length;
                        for (int p = s0; p < s1 && p + 1 < rowLen; p++) {
                            lp[i][p + 1] = chosen[i * len + p - s0];
                            top[i][p + 1] = best == null ? new TopLogprobs(new long[0], new float[0]) : best[i * len + p - s0];
                        }
                    }
                }
            }
        }
        List<PromptScores> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            out.add(new PromptScores(Arrays.copyOf(rows.get(i), rows.get(i).length), lp[i], top[i]));
        }
        return out;
    }
}
