package org.distill4j.generate;

/** Pearson's chi-square goodness of fit, for sampler tests (categories with tiny expectation pooled). */
final class ChiSquare {
    private ChiSquare() {}

    static double pValue(int[] counts, double[] p) {
        long n = 0;
        for (int c : counts) {
            n += c;
        }
        double stat = 0;
        int df = -1;
        double pooledExp = 0;
        long pooledObs = 0;
        for (int i = 0; i < counts.length; i++) {
            double e = n * p[i];
            if (e < 5) {
                pooledExp += e;
                pooledObs += counts[i];
                continue;
            }
            stat += (counts[i] - e) * (counts[i] - e) / e;
            df++;
        }
        if (pooledExp > 0) {
            stat += (pooledObs - pooledExp) * (pooledObs - pooledExp) / Math.max(pooledExp, 1e-12);
            df++;
        }
        return upperTail(stat, df);
    }

    /** P(X > x) for chi-square with k degrees of freedom (Wilson–Hilferty; accurate enough at these df). */
    static double upperTail(double x, int k) {
        double z = (Math.cbrt(x / k) - (1 - 2.0 / (9 * k))) / Math.sqrt(2.0 / (9 * k));
        return 0.5 * erfc(z / Math.sqrt(2));
    }

    private static double erfc(double x) {
        // Numerical Recipes erfc (Chebyshev), relative error < 1.2e-7
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
