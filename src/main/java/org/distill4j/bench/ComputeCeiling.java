package org.distill4j.bench;

/**
 * The fastest any implementation could run a bench workload on this machine: the workload's matmul FLOPs per
 * token divided by the best fp32 matmul rate measured in the same run ({@link MatmulPeak.Rates#best}). Only the
 * matmuls are counted (norms, softmax, the KL's passes over the vocabulary, the optimizer and attention in
 * decoding are taken as free), so the FLOPs are a lower bound and the ceiling an upper bound: a speed target
 * above it cannot be met on this hardware by any software that does the same arithmetic.
 */
public final class ComputeCeiling {
    private ComputeCeiling() {}

    /** Tokens/s at {@code gflops} for a workload of {@code flopsPerToken}. */
    public static double tokensPerSecond(double flopsPerToken, double gflops) {
        return gflops * 1e9 / flopsPerToken;
    }

    /** Forward + backward (twice the forward's matmuls) on every position of a sequence of {@link BenchShape#SEQ}. */
    public static double trainFlopsPerToken(BenchShape shape) {
        return 3 * shape.forwardFlopsPerToken(BenchShape.SEQ);
    }

    /** Teacher = medium forward, student = small with the medium's vocabulary forward + backward. */
    public static double kdFlopsPerToken() {
        BenchShape student = BenchShape.SMALL.withVocab(BenchShape.MEDIUM.vocab());
        return BenchShape.MEDIUM.forwardFlopsPerToken(BenchShape.SEQ) + trainFlopsPerToken(student);
    }

    /**
     * Per generated token: the prefill runs the layers on every prompt token and the head on its last one; each
     * later token runs layers and head once (the last token is sampled from the previous step's logits).
     */
    public static double generateFlopsPerToken(BenchShape shape, int promptLength, int newTokens) {
        double layers = shape.layerFlopsPerToken();
        double head = shape.headFlopsPerToken();
        double perPrompt = promptLength * layers + head + (newTokens - 1) * (layers + head);
        return perPrompt / newTokens;
    }
}
