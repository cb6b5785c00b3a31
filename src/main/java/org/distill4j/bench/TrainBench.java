package org.distill4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.ChunkedHeadLoss;
import org.distill4j.train.AdamW;
import org.distill4j.train.AdamWConfig;

/**
 * pytorch_peer.py's train workload: random tokens [batch, 256], next-token cross-entropy on every
 * position, backward, AdamW step; tok/s = batch·256 / step time (mean of 5 steps after 2 warm-up).
 */
public final class TrainBench {
    private TrainBench() {}

    /** Result of one shape: tokens/s, achieved GFLOP/s (3 × forward FLOPs) and the step time. */
    public record Result(double tokensPerSecond, double gflops, double secondsPerStep) {}

    public static Result run(NDManager parent, BenchShape shape, int warmup, int reps) {
        try (Transformer model = Transformer.random(shape.config(), parent, 0);
             AdamW opt = new AdamW(model.parameters(), AdamWConfig.DEFAULT)) {
            model.setTrainable(true);
            int b = shape.trainBatch();
            int t = BenchShape.SEQ;
            long[] tokens = randomTokens(shape);
            for (int i = 0; i < warmup; i++) {
                step(model, opt, tokens, b, t);
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                step(model, opt, tokens, b, t);
            }
            double s = (System.nanoTime() - t0) / 1e9 / reps;
            double tokS = b * t / s;
            return new Result(tokS, 3 * shape.forwardFlopsPerToken(t) * tokS / 1e9, s);
        }
    }

    /**
     * Runs {@code steps} training steps of {@code shape} and samples RSS and the number of live NDArrays
     * (in the model's manager and the engine's whole tree) every {@code every} steps: flat columns mean
     * nothing leaks.
     */
    public static java.util.List<long[]> memory(NDManager parent, BenchShape shape, int steps, int every,
                                                java.util.function.Consumer<long[]> onSample) {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        try (Transformer model = Transformer.random(shape.config(), parent, 0);
             AdamW opt = new AdamW(model.parameters(), AdamWConfig.DEFAULT)) {
            model.setTrainable(true);
            int b = shape.trainBatch();
            int t = BenchShape.SEQ;
            long[] tokens = randomTokens(shape);
            for (int s = 1; s <= steps; s++) {
                step(model, opt, tokens, b, t);
                if (s % every == 0 || s == 1) {
                    long[] row = {s, Math.round(org.distill4j.util.Rss.megabytes()),
                        ((ai.djl.ndarray.BaseNDManager) model.manager()).getManagedArrays().size(),
                        ((ai.djl.ndarray.BaseNDManager) parent).getManagedArrays().size()};
                    out.add(row);
                    onSample.accept(row);
                }
            }
        }
        return out;
    }

    /** batch × (SEQ + 1) random token ids: inputs and next-token labels. */
    static long[] randomTokens(BenchShape shape) {
        SplittableRandom rng = new SplittableRandom(0);
        long[] tokens = new long[shape.trainBatch() * (BenchShape.SEQ + 1)];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rng.nextInt(shape.vocab());
        }
        return tokens;
    }

    static void step(Transformer model, AdamW opt, long[] tokens, int b, int t) {
        long[] input = new long[b * t];
        long[] labels = new long[b * t];
        for (int r = 0; r < b; r++) {
            System.arraycopy(tokens, r * (t + 1), input, r * t, t);
            System.arraycopy(tokens, r * (t + 1) + 1, labels, r * t, t);
        }
        int vocab = model.config().vocabSize();
        try (NDManager m = model.manager().newSubManager();
             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            // the SFT objective's loss: head and cross-entropy block by block (ChunkedHeadLoss), mean over positions
            NDArray hidden = model.hidden(m.create(input, new Shape(b, t)), null, null, null).reshape(b * t, -1);
            gc.backward(new ChunkedHeadLoss(null, ChunkedHeadLoss.rowsFor(vocab), model.config().finalLogitSoftcap()).compute(hidden, model.headWeight(), vocab, null,
                    m.ones(new Shape(b * t)), m.create(labels, new Shape(b * t)), 1.0, 1.0 / (b * t), 0).objective());
        }
        opt.step(1e-4);
        opt.zeroGradients();
    }
}
