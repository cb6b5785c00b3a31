package org.distill4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Transformer;

/**
 * Sequence-level KL between two models along given responses: for a response y sampled from P,
 * Σ_t KL(P(·|x, y_<t) ‖ Q(·|x, y_<t)) over its positions, the full-vocabulary per-token form of
 * E_{y~P}[log P(y|x) − log Q(y|x)], which has lower variance (docs/teacher-hacking.md). Vocabularies
 * that differ only by padding are compared on their common prefix of ids.
 */
public final class SequenceDivergence {
    private SequenceDivergence() {}

    /** Mean over prompts with its standard error, also normalised per response token. */
    public record Estimate(double mean, double stderr, double perToken, double perTokenStderr, int n) {
        public static Estimate of(double[] perSequence, int[] lengths) {
            int n = perSequence.length;
            double[] perTok = new double[n];
            for (int i = 0; i < n; i++) {
                perTok[i] = perSequence[i] / Math.max(1, lengths[i]);
            }
            return new Estimate(mean(perSequence), stderr(perSequence), mean(perTok), stderr(perTok), n);
        }

        private static double mean(double[] v) {
            double s = 0;
            for (double x : v) {
                s += x;
            }
            return s / v.length;
        }

        private static double stderr(double[] v) {
            if (v.length < 2) {
                return 0;
            }
            double m = mean(v);
            double ss = 0;
            for (double x : v) {
                ss += (x - m) * (x - m);
            }
            return Math.sqrt(ss / (v.length - 1) / v.length);
        }
    }

    /** Σ_t KL(P_t ‖ Q_t) of every row (P's distributions along the responses; no gradient). */
    public static double[] sumKl(Transformer p, Transformer q, List<long[]> prompts, List<long[]> responses, int batch) {
        double[] out = new double[prompts.size()];
        int vocab = Math.min(p.config().vocabSize(), q.config().vocabSize());
        for (int s = 0; s < prompts.size(); s += batch) {
            int e = Math.min(prompts.size(), s + batch);
            try (NDManager m = p.manager().newSubManager()) {
                List<long[]> bp = prompts.subList(s, e);
                List<long[]> br = responses.subList(s, e);
                LanguageModel.ResponseLogits rp = LanguageModel.responseLogits(p, m, bp, br);
                NDArray logP = logSoftmax(rp, vocab);
                NDArray logQ = logSoftmax(LanguageModel.responseLogits(q, m, bp, br), vocab);
                float[] kl = logP.exp().mul(logP.sub(logQ)).sum(new int[] {2}).mul(rp.mask()).sum(new int[] {1}).toFloatArray();
                for (int i = s; i < e; i++) {
                    out[i] = kl[i - s];
                }
            }
        }
        return out;
    }

    private static NDArray logSoftmax(LanguageModel.ResponseLogits r, int vocab) {
        NDArray logits = r.logits();
        if (logits.getShape().get(2) != vocab) {
            logits = logits.get(":, :, :" + vocab);
        }
        return logits.logSoftmax(2);
    }

    public static int[] lengths(List<long[]> responses) {
        int[] out = new int[responses.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = responses.get(i).length;
        }
        return out;
    }
}
