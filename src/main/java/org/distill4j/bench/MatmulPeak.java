package org.distill4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** The machine's practical fp32 limit, measured through the same engine. */
public final class MatmulPeak {
    /** Bench-sized [m, k] × [k, n] products timed besides the square one: the largest run faster than 512×512. */
    private static final int[][] LARGER = {{1024, 1024, 1024}, {2048, 512, 1376}, {2048, 512, 8192}};

    /**
     * @param square the 512×512 matmul GFLOP/s, as pytorch_peer.py measures it (its "peak", so the two are comparable)
     * @param best   the best GFLOP/s over that and the bench-sized products: the rate {@link ComputeCeiling} divides by,
     *               so that its ceiling is an upper bound
     */
    public record Rates(double square, double best) {}

    private MatmulPeak() {}

    /** Times the square product once and the larger ones after it. */
    public static Rates measure(NDManager parent) {
        double square = gflops(parent, 512, 512, 512, 200);
        double best = square;
        for (int[] s : LARGER) {
            double flops = 2.0 * s[0] * s[1] * s[2];
            int reps = (int) Math.max(5, Math.min(200, 3e10 / flops));
            best = Math.max(best, gflops(parent, s[0], s[1], s[2], reps));
        }
        return new Rates(square, best);
    }

    private static double gflops(NDManager parent, int rows, int inner, int cols, int reps) {
        try (NDManager m = parent.newSubManager()) {
            NDArray a = m.randomNormal(new Shape(rows, inner));
            NDArray b = m.randomNormal(new Shape(inner, cols));
            for (int i = 0; i < 5; i++) {
                a.matMul(b).close();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                a.matMul(b).close();
            }
            double s = (System.nanoTime() - t0) / 1e9 / reps;
            return 2.0 * rows * inner * cols / s / 1e9;
        }
    }
}
