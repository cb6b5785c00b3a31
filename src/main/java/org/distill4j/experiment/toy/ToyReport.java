package org.distill4j.experiment.toy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import org.distill4j.util.Json;

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

    public static ObjectNode json(ToyResult result) {
        ToyConfig c = result.config();
        ObjectNode root = Json.object();
        ObjectNode config = root.putObject("config");
        config.put("classes", c.classes());
        ArrayNode modes = config.putArray("teacher_modes");
        for (MixtureTeacher.Mode m : c.teacherModes()) {
            modes.addObject().put("weight", m.weight()).put("mean", m.mean()).put("sigma", m.sigma());
        }
        config.put("init_mu", c.initMu());
        config.put("init_sigma", c.initSigma());
        config.put("steps", c.steps());
        config.put("samples", c.samples());
        config.put("seqkd_lr", c.seqKdLr());
        config.put("gad_student_lr", c.gadStudentLr());
        config.put("discriminator_lr", c.discriminatorLr());
        config.put("discriminator_decay", c.discriminatorDecay());
        ArrayNode seeds = config.putArray("seeds");
        for (int i = 0; i < c.seeds(); i++) {
            seeds.add(c.firstSeed() + i);
        }
        config.put("mode_window", ToyMetrics.WINDOW);

        ObjectNode teacher = root.putObject("teacher");
        putArray(teacher, "probs", result.teacherProbs());
        putMetrics(teacher.putObject("metrics"), result.teacherMetrics(), c);

        ObjectNode init = root.putObject("init");
        init.put("mu", c.initMu()).put("sigma", c.initSigma());
        putArray(init, "probs", result.initProbs());
        putMetrics(init.putObject("metrics"), result.initMetrics(), c);

        ObjectNode methods = root.putObject("methods");
        for (ToyResult.MethodResult method : result.methods()) {
            ObjectNode node = methods.putObject(method.name());
            ObjectNode summary = node.putObject("summary");
            for (String name : ToyMetrics.NAMES) {
                ToyResult.Summary s = method.summary(name);
                summary.putObject(name).put("mean", s.mean()).put("std", s.std());
            }
            ArrayNode perSeed = node.putArray("per_seed");
            for (ToyResult.SeedRun run : method.runs()) {
                ObjectNode r = perSeed.addObject();
                r.put("seed", run.seed());
                r.put("mu", run.student().mu());
                r.put("sigma", run.student().sigma());
                putMetrics(r, run.metrics(), c);
                putArray(r, "probs", run.probs());
            }
        }
        return root;
    }

    private static void putMetrics(ObjectNode node, ToyMetrics m, ToyConfig c) {
        for (String name : ToyMetrics.NAMES) {
            node.put(name, m.value(name));
        }
        node.put("best_mode_mean", c.teacherModes().get(m.bestMode()).mean());
    }

    private static void putArray(ObjectNode node, String field, double[] values) {
        ArrayNode array = node.putArray(field);
        for (double v : values) {
            array.add(v);
        }
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
