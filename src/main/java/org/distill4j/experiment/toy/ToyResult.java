package org.distill4j.experiment.toy;

import java.util.List;
import org.distill4j.util.Moments;

/**
 * The outcome of a toy run: the teacher, the shared initial student, and per method one trained student per
 * seed. Arrays are class distributions indexed 0..K−1.
 */
public record ToyResult(
        ToyConfig config,
        double[] teacherProbs,
        ToyMetrics teacherMetrics,
        double[] initProbs,
        ToyMetrics initMetrics,
        List<MethodResult> methods) {

    public ToyResult {
        methods = List.copyOf(methods);
    }

    public MethodResult method(String name) {
        return methods.stream()
                .filter(m -> m.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no method " + name));
    }

    /** One trained student. */
    public record SeedRun(long seed, GaussianStudent student, double[] probs, ToyMetrics metrics) {}

    /** Mean and sample standard deviation (n − 1; 0 for a single seed). */
    public record Summary(double mean, double std) {
        static Summary of(double[] values) {
            Moments m = Moments.of(values);
            return new Summary(m.mean(), m.sampleStd());
        }
    }

    /** All seeds of one method. */
    public record MethodResult(String name, List<SeedRun> runs) {
        public MethodResult {
            runs = List.copyOf(runs);
        }

        public Summary summary(String metric) {
            return Summary.of(runs.stream().mapToDouble(r -> r.metrics().value(metric)).toArray());
        }

        /** Per-class mean and standard deviation over seeds, for the plot. */
        public Summary[] classSummaries() {
            int k = runs.get(0).probs().length;
            Summary[] out = new Summary[k];
            for (int c = 0; c < k; c++) {
                final int cls = c;
                out[c] = Summary.of(runs.stream().mapToDouble(r -> r.probs()[cls]).toArray());
            }
            return out;
        }
    }
}
