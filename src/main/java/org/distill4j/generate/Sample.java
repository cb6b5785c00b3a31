package org.distill4j.generate;

import java.util.List;

/**
 * One generated continuation.
 *
 * @param tokens   generated ids, including the EOS token when the sample ended on one
 * @param logprobs log-probability of each generated token under the model at temperature 1 (no
 *                 truncation): the model's own likelihood, whatever the sampling settings were
 * @param text     decoded text without special tokens, cut before a stop string (null without a tokenizer)
 * @param finish   why it ended
 * @param top      per generated token, the k most likely tokens of that step's distribution when
 *                 {@link SamplingParams#topLogprobs()} is k > 0; empty otherwise
 */
public record Sample(int promptIndex, int sampleIndex, long[] tokens, float[] logprobs, String text, Finish finish,
                     List<TopLogprobs> top) {
    public enum Finish { EOS, STOP, LENGTH }

    public Sample {
        top = List.copyOf(top);
    }

    /** A sample without top-k log-probs. */
    public Sample(int promptIndex, int sampleIndex, long[] tokens, float[] logprobs, String text, Finish finish) {
        this(promptIndex, sampleIndex, tokens, logprobs, text, finish, List.of());
    }

    public double sumLogprob() {
        double s = 0;
        for (float l : logprobs) {
            s += l;
        }
        return s;
    }
}
