package org.distill4j.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.distill4j.util.Moments;

/** A metric of a variant averaged over seeds at each evaluation step: mean and standard deviation. */
public record Aggregate(double[] steps, double[] epochs, double[] mean, double[] std, int seeds) {

    public static Aggregate of(List<RunCurves> runs, String key) {
        return of(runs, key, "step");
    }

    /** Over another x column than the step (e.g. g_step). */
    public static Aggregate of(List<RunCurves> runs, String key, String x) {
        Map<Double, List<Double>> byStep = new TreeMap<>();
        Map<Double, Double> epochOf = new TreeMap<>();
        for (RunCurves r : runs) {
            for (double[] p : r.series(key, x)) {
                byStep.computeIfAbsent(p[0], k -> new ArrayList<>()).add(p[1]);
                epochOf.put(p[0], p[3]);
            }
        }
        int n = byStep.size();
        double[] steps = new double[n];
        double[] epochs = new double[n];
        double[] mean = new double[n];
        double[] std = new double[n];
        int i = 0;
        for (Map.Entry<Double, List<Double>> e : byStep.entrySet()) {
            steps[i] = e.getKey();
            epochs[i] = epochOf.get(e.getKey());
            mean[i] = mean(e.getValue());
            std[i] = std(e.getValue());
            i++;
        }
        return new Aggregate(steps, epochs, mean, std, runs.size());
    }

    public boolean isEmpty() {
        return steps.length == 0;
    }

    public static double mean(List<Double> v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.isEmpty() ? Double.NaN : s / v.size();
    }

    /** Sample standard deviation (n − 1; 0 for fewer than two values). */
    public static double std(List<Double> v) {
        return Moments.of(v.stream().mapToDouble(Double::doubleValue).toArray()).sampleStd();
    }
}
