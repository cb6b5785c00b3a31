package org.distill4j.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * The draws of one {@link StepDecoder} step: rows with different settings share the logits of one forward pass,
 * and each row is sampled with its own temperature, top-k and top-p from its own stream, as {@link Sampler} would
 * sample it alone (greedy by argmax, untruncated by inverse CDF on the engine, truncated in Java).
 */
final class StepDraws {
    private StepDraws() {}

    /** One token per row of the logits ({@code rowAt[i]}, null for padding), each with its row's settings and stream. */
    static StepDecoder.Token[] draw(NDManager m, NDArray logits, StepDecoder.Row[] rowAt, int vocab) {
        int b = rowAt.length;
        long[] tokens = new long[b];
        boolean anyGreedy = false;
        boolean anyEngine = false;
        int topK = 0;
        float[] temps = new float[b];
        float[] uniforms = new float[b];
        Arrays.fill(temps, 1f);
        for (int s = 0; s < b; s++) {
            StepDecoder.Row r = rowAt[s];
            if (r == null) {
                continue;
            }
            SamplingParams p = r.params;
            topK = Math.max(topK, p.topLogprobs());
            if (p.temperature() == 0) {
                anyGreedy = true;
            } else if (p.topK() == 0 && p.topP() >= 1) {
                anyEngine = true;
                temps[s] = (float) p.temperature();
                uniforms[s] = (float) r.rng.nextDouble();
            }
        }
        // the untempered softmax serves the inverse CDF at temperature 1 (the common case) and the log-probs; the full
        // log-softmax, a second pass of exp and log over [B, V], is computed only where it is needed
        NDArray probs = logits.softmax(-1);
        long[] greedy = anyGreedy ? logits.argMax(-1).toLongArray() : null;
        long[] inverseCdf = null;
        if (anyEngine) {
            // inverse CDF per row against its own uniform, each row at its own temperature (Sampler's draw)
            boolean allAtOne = true;
            for (float t : temps) {
                allAtOne &= t == 1f;
            }
            NDArray tempered = allAtOne ? probs : logits.div(m.create(temps, new Shape(b, 1))).softmax(-1);
            NDArray below = tempered.cumSum(1).lt(m.create(uniforms, new Shape(b, 1))).sum(new int[] {1}); // int64 counts
            inverseCdf = below.minimum(vocab - 1).toLongArray();
        }
        float[] host = null; // truncated sampling runs in Java on one copy of the logits
        for (int s = 0; s < b; s++) {
            StepDecoder.Row r = rowAt[s];
            if (r == null) {
                continue;
            }
            SamplingParams p = r.params;
            if (p.temperature() == 0) {
                tokens[s] = greedy[s];
            } else if (p.topK() == 0 && p.topP() >= 1) {
                tokens[s] = inverseCdf[s];
            } else {
                host = host == null ? logits.toFloatArray() : host;
                tokens[s] = TokenSampler.draw(host, s * vocab, vocab, p, r.rng).token();
            }
        }
        NDArray drawn = m.create(tokens, new Shape(b, 1));
        float[] chosen = probs.gather(drawn, 1).toFloatArray();
        float[] lp = new float[b];
        boolean tiny = false;
        for (int s = 0; s < b; s++) {
            lp[s] = (float) Math.log(chosen[s]); // a float probability's relative error (6e-8) is log(p)'s absolute error
            tiny |= rowAt[s] != null && chosen[s] < 1e-30f; // below that float loses digits (a high temperature's pick)
        }
        NDArray logSoftmax = tiny || topK > 0 ? logits.logSoftmax(-1) : null;
        if (tiny) {
            lp = logSoftmax.gather(drawn, 1).toFloatArray();
        }
        TopLogprobs[] top = topK > 0 ? TopLogprobs.ofRows(logSoftmax, topK) : null;
        StepDecoder.Token[] out = new StepDecoder.Token[b];
        for (int s = 0; s < b; s++) {
            StepDecoder.Row r = rowAt[s];
            if (r != null) {
                int k = r.params.topLogprobs();
                TopLogprobs mine = k == 0 ? null : new TopLogprobs(Arrays.copyOf(top[s].ids(), Math.min(k, top[s].size())),
                        Arrays.copyOf(top[s].logprobs(), Math.min(k, top[s].size())));
                out[s] = new StepDecoder.Token(r, tokens[s], lp[s], mine);
            }
        }
        return out;
    }
}
