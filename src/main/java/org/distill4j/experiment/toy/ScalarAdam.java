package org.distill4j.experiment.toy;

/**
 * Adam (Kingma &amp; Ba) over a flat parameter vector, with bias correction. Both the student and the
 * discriminator use it: its per-parameter step size makes one learning rate work for μ and log σ alike,
 * whose raw gradients differ in scale by the class spread.
 */
final class ScalarAdam {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;

    private final double lr;
    private final double[] m;
    private final double[] v;
    private int t;

    ScalarAdam(int size, double lr) {
        this.lr = lr;
        this.m = new double[size];
        this.v = new double[size];
    }

    /** Returns params − lr · m̂ / (√v̂ + ε) for a gradient of the loss to be minimised. */
    double[] step(double[] params, double[] grad) {
        t++;
        double c1 = 1 - Math.pow(BETA1, t);
        double c2 = 1 - Math.pow(BETA2, t);
        double[] out = params.clone();
        for (int i = 0; i < params.length; i++) {
            m[i] = BETA1 * m[i] + (1 - BETA1) * grad[i];
            v[i] = BETA2 * v[i] + (1 - BETA2) * grad[i] * grad[i];
            out[i] -= lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + EPS);
        }
        return out;
    }
}
