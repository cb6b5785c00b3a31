package org.distill4j.generate;

/**
 * One generated continuation.
 *
 * @param tokens   generated ids, including the EOS token when the sample ended on one
 * @param logprobs log-probability of each generated token under the model at temperature 1 (no
 *                 truncation): the model's own likelihood, whatever the sampling settings were
 * @param text     decoded text without special tokens, cut before a stop string (null without a tokenizer)
 * @param finish   why it ended
 */
public record Sample(int promptIndex, int sampleIndex, long[] tokens, float[] logprobs, String text, Finish finish) {
    public enum Finish { EOS, STOP, LENGTH }

    public double sumLogprob() {
        double s = 0;
        for (float l : logprobs) {
            s += l;
        }
        return s;
    }
}
