package org.distill4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
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
        return sumKl(p, List.of(q), prompts, responses, batch).get(0);
    }

    /**
     * Σ_t KL(P_t ‖ Q_t) of every row for several Q along the same responses: P's forward runs once
     * (e.g. the student's own samples scored against both the oracle and the teacher).
     *
     * @return one array of per-row sums for each Q, in the order of {@code qs}
     */
    public static List<double[]> sumKl(Transformer p, List<Transformer> qs, List<long[]> prompts, List<long[]> responses, int batch) {
        List<double[]> out = new ArrayList<>();
        for (int k = 0; k < qs.size(); k++) {
            out.add(new double[prompts.size()]);
        }
        for (int s = 0; s < prompts.size(); s += batch) {
            int e = Math.min(prompts.size(), s + batch);
            try (NDManager m = p.manager().newSubManager()) {
                List<long[]> bp = prompts.subList(s, e);
                List<long[]> br = responses.subList(s, e);
                LanguageModel.ResponseLogits rp = LanguageModel.responseLogits(p, m, bp, br);
                int logPVocab = -1;
                NDArray logP = null;
                NDArray probP = null;
                for (int k = 0; k < qs.size(); k++) {
                    Transformer q = qs.get(k);
                    int vocab = Math.min(p.config().vocabSize(), q.config().vocabSize());
                    if (vocab != logPVocab) {
                        logP = logSoftmax(rp.logits(), vocab);
                        probP = logP.exp();
                        logPVocab = vocab;
                    }
                    NDArray logQ = logSoftmax(LanguageModel.responseLogits(q, m, bp, br).logits(), vocab);
                    float[] kl = probP.mul(logP.sub(logQ)).sum(new int[] {2}).mul(rp.mask()).sum(new int[] {1}).toFloatArray();
                    System.arraycopy(toDouble(kl), 0, out.get(k), s, e - s);
                }
            }
        }
        return out;
    }

    /**
     * A frozen model P's next-token distributions along fixed responses, for Σ_t KL(P_t ‖ Q_t) against
     * many Q (the lab's evaluations reuse the same oracle and teacher samples at every step, so P's
     * forward pass and softmax are needed once, not at every evaluation). The distributions are kept
     * when they fit in {@code maxCachedFloats}; otherwise P runs again at every call (large vocabularies).
     * The cache is built at the first call for Q's vocabulary and rebuilt if a Q with another one comes.
     */
    public static final class Reference implements AutoCloseable {
        private final Transformer p;
        private final List<long[]> prompts;
        private final List<long[]> responses;
        private final int batch;
        private final long maxCachedFloats;
        private NDManager cacheManager;
        private int cachedVocab = -1;
        private List<NDArray> probs;      // per chunk [b, r, V]: P's distributions
        private List<NDArray> negEntropy; // per chunk [b, r]: Σ_v p log p, 0 at padding

        public Reference(Transformer p, List<long[]> prompts, List<long[]> responses, int batch, long maxCachedFloats) {
            if (prompts.size() != responses.size()) {
                throw new IllegalArgumentException(prompts.size() + " prompts for " + responses.size() + " responses");
            }
            this.p = p;
            this.prompts = List.copyOf(prompts);
            this.responses = List.copyOf(responses);
            this.batch = batch;
            this.maxCachedFloats = maxCachedFloats;
        }

        public List<long[]> responses() {
            return responses;
        }

        /** Whether P's distributions for a vocabulary of {@code vocab} ids would be kept in memory. */
        public boolean caches(int vocab) {
            long positions = 0;
            for (long[] r : responses) {
                positions += r.length;
            }
            // padded chunks hold up to batch × max length positions; count the padding too
            long padded = 0;
            for (int s = 0; s < responses.size(); s += batch) {
                int e = Math.min(responses.size(), s + batch);
                int r = 0;
                for (int i = s; i < e; i++) {
                    r = Math.max(r, responses.get(i).length);
                }
                padded += (long) (e - s) * r;
            }
            return Math.max(positions, padded) * vocab <= maxCachedFloats;
        }

        /** Σ_t KL(P_t ‖ Q_t) of every response. */
        public double[] sumKlTo(Transformer q) {
            int vocab = Math.min(p.config().vocabSize(), q.config().vocabSize());
            if (!caches(vocab)) {
                return sumKl(p, q, prompts, responses, batch);
            }
            if (vocab != cachedVocab) {
                build(vocab);
            }
            double[] out = new double[prompts.size()];
            int chunk = 0;
            for (int s = 0; s < prompts.size(); s += batch, chunk++) {
                int e = Math.min(prompts.size(), s + batch);
                try (NDManager m = q.manager().newSubManager()) {
                    LanguageModel.ResponseLogits rq = LanguageModel.responseLogits(q, m, prompts.subList(s, e), responses.subList(s, e));
                    NDArray logQ = logSoftmax(rq.logits(), vocab);
                    // KL = Σ_v p log p − Σ_v p log q at every position; padding has p log p = 0 and is masked here.
                    // An op's result belongs to its first operand's manager, so this step's arrays come first: with the
                    // cached P first, every evaluation would leave its results in the cache's manager (exact either way).
                    NDArray cross = logQ.mul(probs.get(chunk)).sum(new int[] {2}).mul(rq.mask());
                    float[] kl = cross.sub(negEntropy.get(chunk)).neg().sum(new int[] {1}).toFloatArray();
                    System.arraycopy(toDouble(kl), 0, out, s, e - s);
                }
            }
            return out;
        }

        private void build(int vocab) {
            if (cacheManager != null) {
                cacheManager.close();
            }
            cacheManager = p.manager().newSubManager();
            probs = new ArrayList<>();
            negEntropy = new ArrayList<>();
            for (int s = 0; s < prompts.size(); s += batch) {
                int e = Math.min(prompts.size(), s + batch);
                try (NDManager m = p.manager().newSubManager()) {
                    LanguageModel.ResponseLogits rp = LanguageModel.responseLogits(p, m, prompts.subList(s, e), responses.subList(s, e));
                    NDArray logP = logSoftmax(rp.logits(), vocab);
                    NDArray prob = logP.exp();
                    NDArray h = prob.mul(logP).sum(new int[] {2}).mul(rp.mask());
                    prob.attach(cacheManager);
                    h.attach(cacheManager);
                    probs.add(prob);
                    negEntropy.add(h);
                }
            }
            cachedVocab = vocab;
        }

        @Override
        public void close() {
            if (cacheManager != null) {
                cacheManager.close();
                cacheManager = null;
                cachedVocab = -1;
            }
        }
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static NDArray logSoftmax(NDArray logits, int vocab) {
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
