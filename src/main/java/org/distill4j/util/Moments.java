package org.distill4j.util;

/**
 * Mean and standard deviations of a sample, in double precision: the one place the project computes them (GRPO's
 * group advantage, reward statistics, the toy, seed summaries).
 *
 * @param mean          arithmetic mean (NaN for no values)
 * @param populationStd divisor N
 * @param sampleStd     divisor N − 1 (torch.std's default); 0 for fewer than two values
 */
public record Moments(int count, double mean, double populationStd, double sampleStd) {
    public static Moments of(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        double mean = sum / values.length;
        double squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        return of(values.length, mean, squares);
    }

    public static Moments of(float[] values) {
        double[] wide = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            wide[i] = values[i];
        }
        return of(wide);
    }

    private static Moments of(int n, double mean, double squares) {
        return new Moments(n, n == 0 ? Double.NaN : mean, n == 0 ? 0 : Math.sqrt(squares / n),
                n > 1 ? Math.sqrt(squares / (n - 1)) : 0);
    }

    /** The median (mean of the middle two for an even count), NaN for no values; the benches' summary of rounds. */
    public static double median(java.util.List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        java.util.List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
