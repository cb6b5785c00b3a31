package org.distill4j.bench;

import org.distill4j.lm.ModelConfig;

/**
 * The two workloads of shared/bench/pytorch_peer.py, kept identical so the ratios mean something:
 * small (hidden 256, 4 layers, 4 heads, intermediate 688, vocab 4096, batch 16) and medium (hidden 512,
 * 8 layers, 8 heads, intermediate 1376, vocab 8192, batch 8); tied embeddings, sequence 256.
 */
public record BenchShape(String name, int hidden, int layers, int heads, int intermediate, int vocab, int trainBatch) {
    public static final BenchShape SMALL = new BenchShape("small", 256, 4, 4, 688, 4096, 16);
    public static final BenchShape MEDIUM = new BenchShape("medium", 512, 8, 8, 1376, 8192, 8);
    public static final int SEQ = 256;

    public static BenchShape byName(String name) {
        return switch (name) {
            case "small" -> SMALL;
            case "medium" -> MEDIUM;
            default -> throw new org.distill4j.util.UserError("unknown bench shape '" + name + "' (small, medium)");
        };
    }

    public ModelConfig config() {
        return config(vocab);
    }

    public ModelConfig config(int vocabSize) {
        return config(vocabSize, 512);
    }

    /** With room for {@code positions} tokens (at least the usual 512). */
    public ModelConfig config(int vocabSize, int positions) {
        return ModelConfig.llama(vocabSize, hidden, intermediate, layers, heads, heads, Math.max(512, positions), true, 1, 2, 0);
    }

    public BenchShape withVocab(int vocabSize) {
        return new BenchShape(name, hidden, layers, heads, intermediate, vocabSize, trainBatch);
    }

    /** Forward FLOPs per token for a sequence of {@code seq}: 2·(matmul parameters) + attention. */
    public double forwardFlopsPerToken(int seq) {
        double attention = 2.0 * 2 * layers * hidden * seq / 2.0; // QK^T and AV over a causal half on average
        return layerFlopsPerToken() + headFlopsPerToken() + attention;
    }

    /** The decoder layers' projections (q, k, v, o, gate, up, down) for one token: 2 FLOPs per weight. */
    public double layerFlopsPerToken() {
        long h = hidden;
        return 2.0 * layers * (4 * h * h + 3 * h * intermediate);
    }

    /** The LM head for one token. */
    public double headFlopsPerToken() {
        return 2.0 * vocab * hidden;
    }
}
