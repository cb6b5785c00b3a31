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
     * The projections of {@link GenerateBench}'s run: the prefill runs every layer on all prompt tokens and the head on
     * the last; each of the remaining tokens runs every layer and the head on one token per row (q, k, v fused, gate
     * and up fused, as the sampler runs them).
     */
    public static List<Gemm> generate(BenchShape s, int rows, int promptLength, int newTokens) {
        int h = s.hidden();
        int i = s.intermediate();
        List<Gemm> out = new ArrayList<>();
        for (int m : new int[] {rows * promptLength, rows}) {
            int count = m == rows * promptLength ? s.layers() : s.layers() * (newTokens - 1);
            out.add(new Gemm(m, h, 3 * h, count));
            out.add(new Gemm(m, h, h, count));
            out.add(new Gemm(m, h, 2 * i, count));
            out.add(new Gemm(m, i, h, count));
        }
        out.add(new Gemm(rows, h, s.vocab(), newTokens));
        return out;
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
            NDArray x = m.randomNormal(new Shape(g.m(), g.k()));
            NDArray w = m.randomNormal(new Shape(g.n(), g.k()));
            int reps = (int) Math.max(3, Math.min(100, 2e9 / (2.0 * g.m() * g.k() * g.n())));
            double best = Double.MAX_VALUE;
            for (int round = 0; round < 4; round++) {
                long t0 = System.nanoTime();
                for (int r = 0; r < reps; r++) {
                    // the same call the Transformer makes (torch linear: x · wᵀ)
                    NDList out = x.getNDArrayInternal().linear(x, w, null);
                    out.close();
                }
                best = Math.min(best, (System.nanoTime() - t0) / 1e9 / reps);
            }
            return best;
        }
    }
}
