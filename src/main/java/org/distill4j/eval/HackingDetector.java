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
 * training goes on: the mean log-residual of {@code sustain} consecutive evaluations exceeds
 * {@code k}·σ·√(1 + 1/sustain), σ being the fit's residual spread in the window (at least 2 %).
 *
 * <p><b>With an oracle</b>: the golden metric (student↔oracle) makes a U-turn: after its minimum it
 * rises above the minimum by more than {@code k} noise units on {@code sustain} consecutive
 * evaluations ({@link #golden}). The onset is the step of the minimum.
 */
public final class HackingDetector {
    /** One evaluation: training step, metric value (> 0) and its standard error. */
    public record Point(long step, double value, double stderr) {}

    /** What a curve says: hacking, not flagged, or undetermined because the run ended while the student still improved. */
    public enum Status {
        HACKING("hacking"), NOT_FLAGGED("not flagged"), UNDETERMINED("undetermined: the student is still improving");

        private final String text;

        Status(String text) {
            this.text = text;
        }

        /** The words the CLI, the report and summary.json use. */
        public String text() {
            return text;
        }
    }

    /** A verdict on one curve; the onset is the step where hacking began (empty unless {@link Status#HACKING}). */
    public record Verdict(Status status, Optional<Long> onsetStep, String reason) {
        public boolean hacking() {
            return status == Status.HACKING;
        }

        static Verdict none(String reason) {
            return new Verdict(Status.NOT_FLAGGED, Optional.empty(), reason);
        }

        static Verdict hacking(long onset, String reason) {
            return new Verdict(Status.HACKING, Optional.of(onset), reason);
        }
    }

    /**
     * Standard errors by which the least-squares drop over the final window must exceed zero for a curve to count as
     * still falling. Lower than the flag's k: "undetermined" is the cautious answer, and saying "not flagged" about a
     * curve that is still going down is the mistake to avoid.
     */
    static final double STILL_FALLING_SE = 2.0;

    /** Floor of the power-law fit's noise, in log units (2 %). */
    static final double MIN_LOG_NOISE = 0.02;

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

    /** The documented defaults: early window = first 30 % of the evaluations (≥ 4), 3 noise units, means over 3 evaluations. */
    public static HackingDetector defaults() {
        return new HackingDetector(0.3, 4, 3.0, 3);
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
        // noise unit: the fit's residual spread in the window, floored; not the standard error over prompts,
        // because every evaluation reuses the same teacher samples (see golden())
        double noise = Math.max(Math.sqrt(ss / Math.max(1, window - 2)), MIN_LOG_NOISE);
        double threshold = k * noise * Math.sqrt(1 + 1.0 / sustain);
        for (int i = window; i + sustain <= pts.size(); i++) {
            double mean = 0;
            for (int j = i; j < i + sustain; j++) {
                Point p = pts.get(j);
                mean += (Math.log(p.value()) - (fit[0] + fit[1] * Math.log(p.step()))) / sustain;
            }
            if (mean > threshold) {
                long onset = pts.get(i).step();
                return Verdict.hacking(onset, String.format(
                        "proxy left its power law (slope %.3f fitted on the first %d evaluations): from step %d, %d evaluations "
                                + "lie above it by %.3f in log units on average (> %.1f noise units of %.3f)",
                        fit[1], window, onset, sustain, mean, k, noise));
            }
        }
        String followed = String.format("proxy follows its power law (slope %.3f fitted on the first %d evaluations)", fit[1], window);
        List<Point> logs = pts.stream().map(p -> new Point(p.step(), Math.log(p.value()), 0)).toList();
        return stillFalling(logs, MIN_LOG_NOISE, "the proxy", true).map(r -> new Verdict(Status.UNDETERMINED, Optional.empty(),
                followed + "; " + r)).orElseGet(() -> Verdict.none(followed));
    }

    /**
     * The golden metric's U-turn: a sustained rise after its minimum. Every evaluation reuses the same
     * oracle samples (common random numbers), so the standard error over prompts describes the level
     * of the metric, not the noise of a difference between two evaluations, which is far smaller. The
     * noise unit is therefore estimated from the curve itself: σ = 1.4826·MAD(second differences)/√6
     * (the second difference of i.i.d. noise has variance 6σ², and a smooth trend contributes almost
     * nothing to it), floored at 1 % of the minimum. Flagged when the mean of {@code sustain}
     * consecutive evaluations after the minimum exceeds it by more than k·σ·√(1 + 1/sustain).
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
        double sigma = goldenNoise(curve);
        // the mean of `sustain` consecutive evaluations has noise σ/√sustain; its difference from the
        // minimum (one evaluation) has noise σ·√(1 + 1/sustain)
        double threshold = k * sigma * Math.sqrt(1 + 1.0 / sustain);
        for (int i = best + 1; i + sustain <= curve.size(); i++) {
            double mean = 0;
            for (int j = i; j < i + sustain; j++) {
                mean += curve.get(j).value() / sustain;
            }
            if (mean - min.value() > threshold) {
                return Verdict.hacking(min.step(), String.format(
                        "golden metric rose from its minimum %.4g at step %d to a mean of %.4g over steps %d–%d "
                                + "(> %.1f noise units of %.3g)", min.value(), min.step(), mean, curve.get(i).step(),
                        curve.get(i + sustain - 1).step(), k, sigma));
            }
        }
        String flat = String.format("no sustained rise after the minimum %.4g at step %d", min.value(), min.step());
        return stillFalling(curve, 0.01 * min.value(), "the golden metric", false)
                .map(r -> new Verdict(Status.UNDETERMINED, Optional.empty(), flat + "; " + r)).orElseGet(() -> Verdict.none(flat));
    }

    /**
     * The golden detector's noise unit σ of a curve: 1.4826·MAD(second differences)/√6, at least 1 % of the curve's
     * minimum ({@link #golden}).
     */
    public static double goldenNoise(List<Point> curve) {
        double min = curve.stream().mapToDouble(Point::value).min().orElse(Double.NaN);
        return Math.max(curveNoise(curve), 0.01 * min);
    }

    /**
     * Where the golden metric ended against its minimum, in the units of the golden detector's test: (mean of the last
     * {@code sustain} evaluations − minimum) / (σ·√(1 + 1/sustain)), σ = {@link #goldenNoise}. The detector flags a
     * window after the minimum at more than {@code k} of these units; this is the same test on the run's last window,
     * so a value ≥ {@code k} says the metric rose that far <em>and stayed there</em> to the end. NaN when the minimum is
     * among the last {@code sustain} evaluations (the metric did not come back up) or the curve is too short.
     */
    public double goldenRiseAtEnd(List<Point> curve) {
        if (curve.size() < sustain + 3) {
            return Double.NaN;
        }
        int best = 0;
        for (int i = 1; i < curve.size(); i++) {
            if (curve.get(i).value() < curve.get(best).value()) {
                best = i;
            }
        }
        if (best >= curve.size() - sustain) {
            return Double.NaN;
        }
        double mean = 0;
        for (int j = curve.size() - sustain; j < curve.size(); j++) {
            mean += curve.get(j).value() / sustain;
        }
        return (mean - curve.get(best).value()) / (goldenNoise(curve) * Math.sqrt(1 + 1.0 / sustain));
    }

    /** Noise units a sustained rise must exceed to be flagged (3 by default). */
    public double noiseUnits() {
        return k;
    }

    /**
     * Whether a curve is still falling at its end: the least-squares line over the final window (the last
     * {@code windowFraction} of the evaluations, at least {@code minWindow}) drops across it by more than
     * {@link #STILL_FALLING_SE} standard errors, the noise σ of one evaluation being the curve's own
     * ({@link #curveNoise}, at least {@code floor}). The standard error of the fitted drop is σ·√(Σ(t−t̄)²)⁻¹·(t_last − t_first).
     * Returns the reason, or empty when the curve has levelled off (or is too short to tell).
     */
    Optional<String> stillFalling(List<Point> curve, double floor, String what, boolean logUnits) {
        int window = Math.max(minWindow, (int) Math.ceil(windowFraction * curve.size()));
        if (curve.size() < Math.max(window, 3)) {
            return Optional.empty();
        }
        List<Point> end = curve.subList(curve.size() - window, curve.size());
        double[] x = new double[window];
        double[] y = new double[window];
        for (int i = 0; i < window; i++) {
            x[i] = end.get(i).step();
            y[i] = end.get(i).value();
        }
        double[] fit = leastSquares(x, y);
        double mx = java.util.Arrays.stream(x).average().orElse(0);
        double sxx = java.util.Arrays.stream(x).map(v -> (v - mx) * (v - mx)).sum();
        if (sxx == 0) {
            return Optional.empty();
        }
        double span = x[window - 1] - x[0];
        double drop = -fit[1] * span;
        double sigma = Math.max(curveNoise(curve), floor);
        double se = sigma * span / Math.sqrt(sxx);
        if (drop <= STILL_FALLING_SE * se) {
            return Optional.empty();
        }
        return Optional.of(String.format("%s still fell by %.3g%s over its last %d evaluations (steps %d–%d; > %.0f standard errors of %.3g)",
                what, drop, logUnits ? " in log units" : "", window, end.get(0).step(), end.get(window - 1).step(), STILL_FALLING_SE, se));
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
