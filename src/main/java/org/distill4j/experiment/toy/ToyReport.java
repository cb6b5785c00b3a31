package org.distill4j.experiment.toy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turns a {@link ToyResult} into the stdout table and the metrics.json document. */
public final class ToyReport {
    private static final String[] HEADERS = {
        "forward KL(T‖S)", "reverse KL(S‖T)", "entropy H(S)", "mass ±1 of modes", "best single mode ±1"
    };

    private ToyReport() {}

    /**
     * A fixed-width table: one row for the teacher itself and one for the shared initial student (both
     * deterministic), then mean ± std over seeds for each method, then which teacher mode GAD settled on.
     */
    public static String table(ToyResult result) {
        StringBuilder sb = new StringBuilder();
        String rowFormat = "%-9s" + " | %-19s".repeat(HEADERS.length) + "%n";
        sb.append(String.format(Locale.ROOT, rowFormat, (Object[]) prepend("method", HEADERS)));
        sb.append("-".repeat(9 + HEADERS.length * 22)).append('\n');
        sb.append(String.format(Locale.ROOT, rowFormat, (Object[]) prepend("teacher", cells(result.teacherMetrics()))));
        sb.append(String.format(Locale.ROOT, rowFormat, (Object[]) prepend("init", cells(result.initMetrics()))));
        for (ToyResult.MethodResult method : result.methods()) {
            String[] row = new String[ToyMetrics.NAMES.size()];
            for (int i = 0; i < row.length; i++) {
                ToyResult.Summary s = method.summary(ToyMetrics.NAMES.get(i));
                row[i] = String.format(Locale.ROOT, "%.3f ± %.3f", s.mean(), s.std());
            }
            sb.append(String.format(Locale.ROOT, rowFormat, (Object[]) prepend(method.name(), row)));
        }
        int seeds = result.config().seeds();
        sb.append(String.format(Locale.ROOT, "(mean ± std over %d seed%s; KL and entropy in nats)%n", seeds, seeds == 1 ? "" : "s"));
        double[] modes = result.config().teacher().modeMeans();
        for (ToyResult.MethodResult method : result.methods()) {
            StringBuilder picks = new StringBuilder();
            for (ToyResult.SeedRun run : method.runs()) {
                picks.append(' ').append(fmt(modes[run.metrics().bestMode()]));
            }
            sb.append(String.format(Locale.ROOT, "%s: teacher mode whose ±1 window holds the most mass, per seed:%s%n",
                    method.name(), picks));
        }
        return sb.toString();
    }

    /** metrics.json: the settings, the teacher, the initial student, and per method a summary and each seed's run. */
    public record Document(Config config, Reference teacher, Reference init, Map<String, Method> methods) {}

    /** The run's settings ({@link ToyConfig}, with the seeds listed and the mode window). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Config(int classes, List<MixtureTeacher.Mode> teacherModes, double initMu, double initSigma, int steps,
                  int samples, @JsonProperty("seqkd_lr") double seqKdLr, double gadStudentLr, double discriminatorLr,
                  double discriminatorDecay, List<Long> seeds, double modeWindow) {}

    /** The teacher (no mu/sigma: a mixture) or the initial student; {@code NON_NULL} leaves the teacher's out. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Reference(Double mu, Double sigma, double[] probs, Metrics metrics) {}

    /** {@link ToyMetrics} under the names of {@link ToyMetrics#NAMES}, and the mean of the mode the student settled on. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Metrics(double forwardKl, double reverseKl, double entropy, double modeMass, double bestModeMass,
                   double bestModeMean) {
        static Metrics of(ToyMetrics m, ToyConfig c) {
            return new Metrics(m.forwardKl(), m.reverseKl(), m.entropy(), m.modeMass(), m.bestModeMass(),
                    c.teacherModes().get(m.bestMode()).mean());
        }
    }

    /** {@code summary}: metric name → mean and std over seeds. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Method(Map<String, ToyResult.Summary> summary, List<SeedRow> perSeed) {}

    /** One seed's student, its metrics inline. */
    public record SeedRow(long seed, double mu, double sigma, @JsonUnwrapped Metrics metrics, double[] probs) {}

    public static Document json(ToyResult result) {
        ToyConfig c = result.config();
        List<Long> seeds = new ArrayList<>();
        for (int i = 0; i < c.seeds(); i++) {
            seeds.add(c.firstSeed() + i);
        }
        Config config = new Config(c.classes(), c.teacherModes(), c.initMu(), c.initSigma(), c.steps(), c.samples(),
                c.seqKdLr(), c.gadStudentLr(), c.discriminatorLr(), c.discriminatorDecay(), seeds, ToyMetrics.WINDOW);
        Map<String, Method> methods = new LinkedHashMap<>();
        for (ToyResult.MethodResult method : result.methods()) {
            Map<String, ToyResult.Summary> summary = new LinkedHashMap<>();
            for (String name : ToyMetrics.NAMES) {
                summary.put(name, method.summary(name));
            }
            List<SeedRow> perSeed = method.runs().stream().map(run -> new SeedRow(run.seed(), run.student().mu(),
                    run.student().sigma(), Metrics.of(run.metrics(), c), run.probs())).toList();
            methods.put(method.name(), new Method(summary, perSeed));
        }
        return new Document(config,
                new Reference(null, null, result.teacherProbs(), Metrics.of(result.teacherMetrics(), c)),
                new Reference(c.initMu(), c.initSigma(), result.initProbs(), Metrics.of(result.initMetrics(), c)),
                methods);
    }

    private static String[] cells(ToyMetrics m) {
        String[] out = new String[ToyMetrics.NAMES.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = String.format(Locale.ROOT, "%.3f", m.value(ToyMetrics.NAMES.get(i)));
        }
        return out;
    }

    private static String[] prepend(String first, String[] rest) {
        String[] out = new String[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    static String fmt(double x) {
        return x == Math.rint(x) ? Long.toString((long) x) : Double.toString(x);
    }
}
