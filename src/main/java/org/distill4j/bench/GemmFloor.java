package org.distill4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The time a workload's projections alone take with this engine's matmul kernels at the workload's own shapes: each
 * distinct product timed by itself (best of several runs), times how often the workload runs it. Small-batch
 * products run far below the square-matrix peak ({@link ComputeCeiling}), so this is the tighter bound for
 * decoding: no implementation that calls the same kernels for the same products can be faster.
 */
public final class GemmFloor {
    /** {@code count} products [m, k] × [k, n]. */
    public record Gemm(int m, int k, int n, int count) {}

    private GemmFloor() {}

    /**
     * One pass of the workload's products in the order a forward pass runs them: every layer's q/k/v, o, gate/up and
     * down products on that layer's own weights, then the head, run {@code repeats} times.
     */
    public record Pass(int layerRows, int headRows, int repeats) {}

    /**
     * The projections of {@link GenerateBench}'s run as it issues them: the prefill's pass (every layer on all prompt
     * tokens, the head on the last) and one pass per further token (every layer and the head on one token per row);
     * q, k, v fused and gate and up fused, as the sampler runs them.
     */
    public static List<Pass> generatePasses(int rows, int promptLength, int newTokens) {
        return List.of(new Pass(rows * promptLength, rows, 1), new Pass(rows, rows, newTokens - 1));
    }

    /** The products of {@code passes}, each kind with the number of times the passes run it. */
    public static List<Gemm> products(BenchShape s, List<Pass> passes) {
        List<Gemm> out = new ArrayList<>();
        for (Pass p : passes) {
            out.addAll(layerProducts(s, p.layerRows(), s.layers() * p.repeats()));
            out.add(headProduct(s, p));
        }
        return out;
    }

    /** One layer's products on {@code rows} rows, in the order a forward pass runs them: q/k/v, o, gate/up, down. */
    private static List<Gemm> layerProducts(BenchShape s, int rows, int count) {
        int h = s.hidden();
        int i = s.intermediate();
        return List.of(new Gemm(rows, h, 3 * h, count), new Gemm(rows, h, h, count), new Gemm(rows, h, 2 * i, count),
                new Gemm(rows, i, h, count));
    }

    private static Gemm headProduct(BenchShape s, Pass p) {
        return new Gemm(p.headRows(), s.hidden(), s.vocab(), p.repeats());
    }

    /**
     * Seconds the same products take when run pass by pass over a model's worth of distinct weights, as a decoding step
     * meets them: each product's weights come back from wherever the rest of the model's weights have pushed them,
     * instead of hot from the product's own previous repetition, as in {@link #seconds}. Still a floor — nothing but
     * the products runs — and the closer one for a whole step.
     */
    public static double secondsInPassOrder(NDManager parent, BenchShape s, List<Pass> passes) {
        try (NDManager m = parent.newSubManager()) {
            List<NDArray[]> layers = new ArrayList<>();
            for (int l = 0; l < s.layers(); l++) {
                layers.add(layerProducts(s, 1, 1).stream().map(g -> weight(m, g)).toArray(NDArray[]::new));
            }
            NDArray head = weight(m, headProduct(s, passes.get(0)));
            double total = 0;
            for (Pass p : passes) {
                try (NDManager inputs = m.newSubManager()) {
                    NDArray[] x = layerProducts(s, p.layerRows(), 1).stream().map(g -> input(inputs, g)).toArray(NDArray[]::new);
                    NDArray last = input(inputs, headProduct(s, p));
                    int reps = Math.max(3, Math.min(50, p.repeats()));
                    total += p.repeats() * bestSecondsPerRep(reps, () -> {
                        for (NDArray[] w : layers) {
                            for (int j = 0; j < w.length; j++) {
                                linear(x[j], w[j]);
                            }
                        }
                        linear(last, head);
                    });
                }
            }
            return total;
        }
    }

    /** Seconds the products take in all. */
    public static double seconds(NDManager parent, List<Gemm> gemms) {
        double total = 0;
        for (Gemm g : gemms) {
            total += g.count() * secondsPerProduct(parent, g);
        }
        return total;
    }

    private static double secondsPerProduct(NDManager parent, Gemm g) {
        try (NDManager m = parent.newSubManager()) {
            NDArray x = input(m, g);
            NDArray w = weight(m, g);
            int reps = (int) Math.max(3, Math.min(100, 2e9 / (2.0 * g.m() * g.k() * g.n())));
            return bestSecondsPerRep(reps, () -> linear(x, w));
        }
    }

    /** The product's weight [n, k], as the Transformer stores it. */
    private static NDArray weight(NDManager m, Gemm g) {
        return m.randomNormal(new Shape(g.n(), g.k()));
    }

    private static NDArray input(NDManager m, Gemm g) {
        return m.randomNormal(new Shape(g.m(), g.k()));
    }

    /** The same call the Transformer makes (torch linear: x · wᵀ); the result is dropped. */
    private static void linear(NDArray x, NDArray w) {
        NDList out = x.getNDArrayInternal().linear(x, w, null);
        out.close();
    }

    /** The best of 4 rounds of {@code reps} runs of {@code once}, in seconds per run. */
    private static double bestSecondsPerRep(int reps, Runnable once) {
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 4; round++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                once.run();
            }
            best = Math.min(best, (System.nanoTime() - t0) / 1e9 / reps);
        }
        return best;
    }
}
