package org.distill4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** The machine's practical fp32 limit: 512×512 matmul GFLOP/s through the same engine, as pytorch_peer.py measures it. */
public final class MatmulPeak {
    private MatmulPeak() {}

    public static double gflops(NDManager parent) {
        try (NDManager m = parent.newSubManager()) {
            NDArray a = m.randomNormal(new Shape(512, 512));
            NDArray b = m.randomNormal(new Shape(512, 512));
            for (int i = 0; i < 5; i++) {
                a.matMul(b).close();
            }
            int reps = 200;
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                a.matMul(b).close();
            }
            double s = (System.nanoTime() - t0) / 1e9 / reps;
            return 2.0 * 512 * 512 * 512 / s / 1e9;
        }
    }
}
