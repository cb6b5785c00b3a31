package org.distill4j.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws one token from a row of logits, in Java: exact temperature / top-k / top-p truncation and an
 * inverse-CDF draw from a seeded stream. (DJL has no multinomial on PyTorch, and sampling on the host
 * makes every (prompt, sample) stream independent of how rows are batched.)
 */
public final class TokenSampler {
    private TokenSampler() {}

    /** Result of one draw: the token and its log-probability under the untempered model. */
    public record Draw(int token, float logprob) {}

    public static Draw draw(float[] logits, int offset, int vocab, SamplingParams p, SplittableRandom rng) {
        double max = Double.NEGATIVE_INFINITY;
        int argmax = 0;
        for (int i = 0; i < vocab; i++) {
            float l = logits[offset + i];
            if (l > max) {
                max = l;
                argmax = i;
            }
        }
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            z += Math.exp(logits[offset + i] - max);
        }
        double logZ = max + Math.log(z);
        int token = p.temperature() == 0 ? argmax : sample(logits, offset, vocab, max, p, rng);
        return new Draw(token, (float) (logits[offset + token] - logZ));
    }

    /** Sampling distribution (after temperature, top-k, top-p) as probabilities, for tests and reports. */
    public static double[] distribution(float[] logits, SamplingParams p) {
        int v = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] w = weights(logits, 0, v, max, p);
        double s = 0;
        for (double x : w) {
            s += x;
        }
        for (int i = 0; i < v; i++) {
            w[i] /= s;
        }
        return w;
    }

    private static int sample(float[] logits, int offset, int vocab, double max, SamplingParams p, SplittableRandom rng) {
        double[] w = weights(logits, offset, vocab, max, p);
        double total = 0;
        for (double x : w) {
            total += x;
        }
        double u = rng.nextDouble() * total;
        double acc = 0;
        int last = 0;
        for (int i = 0; i < vocab; i++) {
            if (w[i] > 0) {
                acc += w[i];
                last = i;
                if (u < acc) {
                    return i;
                }
            }
        }
        return last; // rounding at the top end
    }

    /** Unnormalised weights exp((l - max)/T), zeroed outside top-k / top-p. */
    private static double[] weights(float[] logits, int offset, int vocab, double max, SamplingParams p) {
        double invT = 1.0 / p.temperature();
        double[] w = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            w[i] = Math.exp((logits[offset + i] - max) * invT);
        }
        if (p.topK() > 0 && p.topK() < vocab) {
            double kth = kthLargest(w, p.topK());
            // keep exactly k: ties at the threshold are kept in index order until k are kept
            int kept = 0;
            for (int i = 0; i < vocab; i++) {
                if (w[i] > kth) {
                    kept++;
                }
            }
            for (int i = 0; i < vocab; i++) {
                if (w[i] < kth) {
                    w[i] = 0;
                } else if (w[i] == kth) {
                    if (kept < p.topK()) {
                        kept++;
                    } else {
                        w[i] = 0;
                    }
                }
            }
        }
        if (p.topP() < 1) {
            topP(w, p.topP());
        }
        return w;
    }

    private static double kthLargest(double[] w, int k) {
        double[] copy = w.clone();
        Arrays.sort(copy);
        return copy[copy.length - k];
    }

    /** Keeps the smallest most-likely set whose mass reaches p (the token that crosses p is kept). */
    private static void topP(double[] w, double p) {
        int v = w.length;
        double total = 0;
        for (double x : w) {
            total += x;
        }
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(w[b], w[a]));
        double acc = 0;
        int keep = 0;
        while (keep < v && w[order[keep]] > 0) {
            acc += w[order[keep]];
            keep++;
            if (acc >= p * total) {
                break;
            }
        }
        for (int r = keep; r < v; r++) {
            w[order[r]] = 0;
        }
    }
}
