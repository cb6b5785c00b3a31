package org.distill4j.data;

import java.util.Random;

/**
 * Which items a micro-batch holds: epoch e visits the n items in a permutation drawn from (seed, e);
 * an epoch has ceil(n / (batch · accumulation)) steps and its last step wraps to the epoch's start so
 * every micro-batch is full. A pure function of the step, which is what makes resume exact.
 */
public final class BatchOrder {
    private final int n;
    private final int batchSize;
    private final int accumulation;
    private final long seed;
    private final int stepsPerEpoch;
    private int cachedEpoch = -1;
    private int[] order;

    public BatchOrder(int n, int batchSize, int accumulation, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("no items to batch");
        }
        this.n = n;
        this.batchSize = batchSize;
        this.accumulation = accumulation;
        this.seed = seed;
        this.stepsPerEpoch = (int) Math.ceil(n / (double) (batchSize * accumulation));
    }

    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Item indices of micro-batch {@code micro} of {@code step}. */
    public synchronized int[] indices(long step, int micro) {
        int epoch = (int) (step / stepsPerEpoch);
        if (epoch != cachedEpoch) {
            order = permutation(n, seed * 1_000_003L + epoch);
            cachedEpoch = epoch;
        }
        int first = (int) (step % stepsPerEpoch) * batchSize * accumulation + micro * batchSize;
        int[] out = new int[batchSize];
        for (int i = 0; i < batchSize; i++) {
            out[i] = order[(first + i) % n];
        }
        return out;
    }

    static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        Random rng = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
