package org.distill4j.eval;

import java.util.List;
import java.util.Optional;

/**
 * Detects teacher hacking from evaluation curves (docs/hacking-detector.md).
 *
 * <p><b>Without an oracle</b>: distillation drives the proxy metric (student↔teacher) down along a
 * power law, proxy(t) ≈ a·t^(−b), a line in log-log space. We fit that line by least squares on the
 * early window (the first {@code windowFraction} of the evaluations, at least {@code minWindow}
 * points) and flag hacking when the later curve sits above the line — the proxy stagnates while
 * training goes on — by more than {@code k} noise units on {@code sustain} consecutive evaluations.
 * A noise unit combines the fit's residual spread in the window with each point's own standard error
 * (relative, i.e. in log units), so a noisy estimate needs a larger deviation.
 *
 * <p><b>With an oracle</b>: the golden metric (student↔oracle) makes a U-turn: after its minimum it
 * rises above the minimum by more than {@code k} noise units on {@code sustain} consecutive
 * evaluations ({@link #golden}). The onset is the step of the minimum.
 */
public final class HackingDetector {
    /** One evaluation: training step, metric value (> 0) and its standard error. */
    public record Point(long step, double value, double stderr) {}

    public record Verdict(boolean hacking, Optional<Long> onsetStep, String reason) {
        static Verdict none(String reason) {
            return new Verdict(false, Optional.empty(), reason);
        }
    }

    private final double windowFraction;
    private final int minWindow;
    private final double k;
    private final int sustain;

    public HackingDetector(double windowFraction, int minWindow, double k, int sustain) {
        this.windowFraction = windowFraction;
        this.minWindow = minWindow;
        this.k = k;
        this.sustain = sustain;
    }

    /** The documented defaults: early window = first 40 % (≥ 4 points), 3 noise units, 3 evaluations in a row. */
    public static HackingDetector defaults() {
        return new HackingDetector(0.4, 4, 3.0, 3);
    }

    /** Power-law deviation of the proxy curve (no oracle needed). Points at step 0 are ignored (log 0). */
    public Verdict proxy(List<Point> curve) {
        List<Point> pts = curve.stream().filter(p -> p.step() > 0 && p.value() > 0).toList();
        int window = Math.max(minWindow, (int) Math.ceil(windowFraction * pts.size()));
        if (pts.size() < window + sustain) {
            return Verdict.none("too few evaluations (" + pts.size() + ") for a window of " + window + " + " + sustain);
        }
        double[] x = new double[window];
        double[] y = new double[window];
        for (int i = 0; i < window; i++) {
            x[i] = Math.log(pts.get(i).step());
            y[i] = Math.log(pts.get(i).value());
        }
        double[] fit = leastSquares(x, y);
        double ss = 0;
        for (int i = 0; i < window; i++) {
            double r = y[i] - (fit[0] + fit[1] * x[i]);
            ss += r * r;
        }
        double sigmaFit = Math.sqrt(ss / Math.max(1, window - 2));
        int run = 0;
        for (int i = window; i < pts.size(); i++) {
            Point p = pts.get(i);
            double predicted = fit[0] + fit[1] * Math.log(p.step());
            double residual = Math.log(p.value()) - predicted;
            double relErr = p.stderr() / p.value();
            double noise = Math.sqrt(sigmaFit * sigmaFit + relErr * relErr);
            run = residual > k * Math.max(noise, 1e-3) ? run + 1 : 0;
            if (run == sustain) {
                long onset = pts.get(i - sustain + 1).step();
                return new Verdict(true, Optional.of(onset), String.format(
                        "proxy left its power law (slope %.3f fitted on the first %d evaluations): %d evaluations in a row "
                                + "above it by > %.1f noise units from step %d", fit[1], window, sustain, k, onset));
            }
        }
        return Verdict.none(String.format("proxy follows its power law (slope %.3f fitted on the first %d evaluations)", fit[1], window));
    }

    /**
     * The golden metric's U-turn: a sustained rise after its minimum. Every evaluation reuses the same
     * oracle samples (common random numbers), so the standard error over prompts describes the level
     * of the metric, not the noise of a difference between two evaluations, which is far smaller. The
     * noise unit is therefore estimated from the curve itself: σ = 1.4826·MAD(second differences)/√6
     * (the second difference of i.i.d. noise has variance 6σ², and a smooth trend contributes almost
     * nothing to it), floored at 1 % of the minimum; a difference of two points has noise σ·√2.
     */
    public Verdict golden(List<Point> curve) {
        if (curve.size() < sustain + 3) {
            return Verdict.none("too few evaluations");
        }
        int best = 0;
        for (int i = 1; i < curve.size(); i++) {
            if (curve.get(i).value() < curve.get(best).value()) {
                best = i;
            }
        }
        Point min = curve.get(best);
        double sigma = Math.max(curveNoise(curve), 0.01 * min.value());
        double threshold = k * sigma * Math.sqrt(2);
        int run = 0;
        for (int i = best + 1; i < curve.size(); i++) {
            Point p = curve.get(i);
            run = p.value() - min.value() > threshold ? run + 1 : 0;
            if (run == sustain) {
                return new Verdict(true, Optional.of(min.step()), String.format(
                        "golden metric rose from its minimum %.4g at step %d to %.4g (> %.1f·√2 noise units of %.3g for %d evaluations)",
                        min.value(), min.step(), p.value(), k, sigma, sustain));
            }
        }
        return Verdict.none(String.format("no sustained rise after the minimum %.4g at step %d", min.value(), min.step()));
    }

    /** Robust noise of a curve from its second differences. */
    static double curveNoise(List<Point> curve) {
        double[] d2 = new double[curve.size() - 2];
        for (int i = 1; i < curve.size() - 1; i++) {
            d2[i - 1] = curve.get(i + 1).value() - 2 * curve.get(i).value() + curve.get(i - 1).value();
        }
        double med = median(d2);
        double[] dev = new double[d2.length];
        for (int i = 0; i < d2.length; i++) {
            dev[i] = Math.abs(d2[i] - med);
        }
        return 1.4826 * median(dev) / Math.sqrt(6);
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        java.util.Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    /** Least squares y = c0 + c1·x. */
    static double[] leastSquares(double[] x, double[] y) {
        int n = x.length;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i] / n;
            my += y[i] / n;
        }
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        double slope = sxx == 0 ? 0 : sxy / sxx;
        return new double[] {my - slope * mx, slope};
    }
}
