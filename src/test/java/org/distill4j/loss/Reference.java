package org.distill4j.loss;

/**
 * The divergences in double precision on the host, written from the textbook formulas, as an
 * independent reference for the DJL code (closed forms, finite differences).
 */
final class Reference {
    private Reference() {}

    /** log softmax(logits / τ); −∞ logits give −∞. */
    static double[] logSoftmax(double[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : logits) {
            max = Math.max(max, x / temperature);
        }
        double sum = 0;
        for (double x : logits) {
            sum += Math.exp(x / temperature - max);
        }
        double logZ = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = logits[i] / temperature - logZ;
        }
        return out;
    }

    static double[] log(double... probabilities) {
        double[] out = new double[probabilities.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.log(probabilities[i]);
        }
        return out;
    }

    /** KL(a‖b) with the 0·log 0 = 0 convention. */
    static double kl(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] > 0) {
                sum += a[i] * Math.log(a[i] / b[i]);
            }
        }
        return sum;
    }

    static double[] mix(double w, double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = w * a[i] + (1 - w) * b[i];
        }
        return out;
    }

    /** D(p, q) on probabilities. */
    static double divergence(Divergence d, double[] p, double[] q) {
        return switch (d) {
            case ForwardKl f -> kl(p, q);
            case ReverseKl r -> kl(q, p);
            case Jsd j when j.beta() == 0 -> kl(p, q);
            case Jsd j when j.beta() == 1 -> kl(q, p);
            case Jsd j -> {
                double[] m = mix(j.beta(), p, q);
                yield j.beta() * kl(p, m) + (1 - j.beta()) * kl(q, m);
            }
            case SkewKl s -> kl(p, mix(s.alpha(), p, q));
            case SkewReverseKl s -> kl(q, mix(s.alpha(), q, p));
            case Tvd t -> {
                double sum = 0;
                for (int i = 0; i < p.length; i++) {
                    sum += Math.abs(p[i] - q[i]);
                }
                yield sum / 2;
            }
        };
    }

    static double[] softmax(double[] logits, double temperature) {
        double[] out = logSoftmax(logits, temperature);
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.exp(out[i]);
        }
        return out;
    }

    /** Σ mask·D / Σ mask over a [B, T, V] batch given as flat arrays; positions with mask 0 are skipped. */
    static double tokenMean(Divergence d, double temperature, double[] student, double[] teacher, double[] mask, int vocab) {
        double total = 0;
        double count = 0;
        for (int pos = 0; pos < mask.length; pos++) {
            if (mask[pos] == 0) {
                continue;
            }
            double[] s = java.util.Arrays.copyOfRange(student, pos * vocab, (pos + 1) * vocab);
            double[] t = java.util.Arrays.copyOfRange(teacher, pos * vocab, (pos + 1) * vocab);
            total += mask[pos] * divergence(d, softmax(t, temperature), softmax(s, temperature));
            count += mask[pos];
        }
        return count == 0 ? 0 : total / count;
    }
}
