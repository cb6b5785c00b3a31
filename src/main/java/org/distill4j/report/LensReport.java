package org.distill4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.distill4j.util.AtomicFiles;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;
import org.knowm.xchart.XYChart;

/**
 * report.html, plots/*.png and summary.json of an oracle-lens run (or of any directory of GAD-family
 * runs laid out as seed-N/METHOD/metrics.jsonl), from the metrics files alone: evaluation curves
 * against generator steps (golden metric, oracle judge, n-gram overlap with the teacher, lengths),
 * training curves against steps (discriminator accuracy, reward, sample length and repetition), and per
 * method the final and best values with their spread over seeds.
 */
public final class LensReport {
    /** The oracle lens's configuration in its run directory: what marks a lens run (written by experiment.LensConfig). */
    public static final String LENS_CONFIG_FILE = "lens.yaml";

    static final List<String> ORDER = List.of("seqkd", "gad", "frozen-d");

    /** Evaluation metrics: key, label, whether lower is better (null: neither, e.g. length). */
    private record Metric(String key, String label, Boolean lowerIsBetter) {
        boolean ranked() {
            return lowerIsBetter != null;
        }

        String direction() {
            return lowerIsBetter == null ? "neither" : lowerIsBetter ? "lower" : "higher";
        }
    }

    private static final List<Metric> EVAL = List.of(
            new Metric("golden_fkl", "golden: E_{y~oracle} Σ KL(oracle‖student)", true),
            new Metric("golden_rkl", "golden reverse: E_{y~student} Σ KL(student‖oracle)", true),
            new Metric("oracle_ll_tok", "oracle judge: log p_oracle(student response) per token", false),
            new Metric("proxy_fkl", "proxy: E_{y~teacher} Σ KL(teacher‖student)", true),
            new Metric("f1_1", "unigram F1 with the teacher's response", false),
            new Metric("f1_4", "4-gram F1 with the teacher's response", false),
            new Metric("rouge_l", "ROUGE-L with the teacher's response", false),
            new Metric("eval_len", "response length (tokens)", null),
            new Metric("eval_repetition", "repeated bigrams in a response", true));

    private static final List<String[]> TRAINING = List.of(
            new String[] {"d_acc", "discriminator accuracy (teacher scored above sample)"},
            new String[] {"reward_mean", "reward: discriminator score of the samples"},
            new String[] {"sample_len", "rollout length (tokens)"},
            new String[] {"sample_repetition", "rollout repeated bigrams"});

    private final Path runDir;
    private final Map<String, List<RunCurves>> runs;
    private final Map<String, byte[]> images = new LinkedHashMap<>();

    public LensReport(Path runDir) {
        this.runDir = runDir;
        Map<String, List<RunCurves>> ordered = new LinkedHashMap<>();
        Map<String, List<RunCurves>> all = isSingleRun(runDir) ? single(runDir) : RunCurves.load(runDir);
        for (String m : ORDER) {
            if (all.containsKey(m)) {
                ordered.put(m, all.get(m));
            }
        }
        all.forEach(ordered::putIfAbsent);
        this.runs = ordered;
    }

    /** A directory written by one gad or seqkd run: its metrics.jsonl has GAD's phase column. */
    public static boolean isSingleRun(Path dir) {
        Path f = dir.resolve("metrics.jsonl");
        if (!java.nio.file.Files.exists(f)) {
            return false;
        }
        List<org.distill4j.util.Jsonl.Line> lines = org.distill4j.util.Jsonl.read(f);
        return !lines.isEmpty() && lines.get(0).value().has("phase");
    }

    /** Whether {@code dir} holds GAD-family runs (an oracle lens, or a single gad/seqkd run). */
    public static boolean applies(Path dir) {
        return java.nio.file.Files.exists(dir.resolve(LENS_CONFIG_FILE)) || isSingleRun(dir);
    }

    private static Map<String, List<RunCurves>> single(Path dir) {
        List<JsonNode> rows = new ArrayList<>();
        for (org.distill4j.util.Jsonl.Line l : org.distill4j.util.Jsonl.read(dir.resolve("metrics.jsonl"))) {
            rows.add(l.value());
        }
        String name = dir.toAbsolutePath().normalize().getFileName().toString();
        return Map.of(name, List.of(new RunCurves(name, 0, rows)));
    }

    public Path write() {
        if (runs.isEmpty()) {
            throw new UserError(runDir + ": no runs (seed-*/METHOD/metrics.jsonl) to report on");
        }
        Path plots = runDir.resolve("plots");
        for (Metric m : EVAL) {
            XYChart c = Charts.chart(m.label(), "generator steps", m.key());
            int i = 0;
            boolean any = false;
            for (Map.Entry<String, List<RunCurves>> e : runs.entrySet()) {
                Aggregate a = Aggregate.of(e.getValue(), m.key(), "g_step");
                if (!a.isEmpty()) {
                    Charts.band(c, e.getKey(), a.steps(), a.mean(), a.std(), i);
                    any = true;
                }
                i++;
            }
            if (any) {
                add("eval-" + m.key().replace('_', '-'), c, plots);
            }
        }
        for (String[] t : TRAINING) {
            XYChart c = Charts.chart(t[1], "step", t[0]);
            int i = 0;
            boolean any = false;
            for (Map.Entry<String, List<RunCurves>> e : runs.entrySet()) {
                double[][] binned = binned(e.getValue(), t[0]);
                if (binned[0].length > 0) {
                    Charts.band(c, e.getKey(), binned[0], binned[1], binned[2], i);
                    any = true;
                }
                i++;
            }
            if (any) {
                add("train-" + t[0].replace('_', '-'), c, plots);
            }
        }
        ObjectNode summary = summary();
        Json.write(runDir.resolve("summary.json"), summary);
        Path html = runDir.resolve("report.html");
        AtomicFiles.writeString(html, html(summary));
        return html;
    }

    private void add(String name, XYChart chart, Path plots) {
        images.put(name, Charts.write(chart, plots.resolve(name + ".png")));
    }

    /**
     * Per-step training metrics are noisy (one small batch each): averaged over bins of steps per run,
     * then mean and standard deviation over seeds. Returns {x, mean, std}.
     */
    private static double[][] binned(List<RunCurves> runs, String key) {
        long maxStep = 0;
        for (RunCurves r : runs) {
            for (double[] p : r.series(key)) {
                maxStep = Math.max(maxStep, (long) p[0]);
            }
        }
        long bin = Math.max(1, maxStep / 30);
        Map<Long, List<Double>> perBin = new TreeMap<>();
        for (RunCurves r : runs) {
            Map<Long, double[]> sums = new TreeMap<>();
            for (double[] p : r.series(key)) {
                if (p[0] == 0) {
                    continue;
                }
                double[] s = sums.computeIfAbsent(((long) p[0] - 1) / bin, k -> new double[2]);
                s[0] += p[1];
                s[1]++;
            }
            sums.forEach((b, s) -> perBin.computeIfAbsent(b, k -> new ArrayList<>()).add(s[0] / s[1]));
        }
        double[][] out = new double[3][perBin.size()];
        int i = 0;
        for (Map.Entry<Long, List<Double>> e : perBin.entrySet()) {
            out[0][i] = (e.getKey() + 1) * bin;
            out[1][i] = Aggregate.mean(e.getValue());
            out[2][i] = Aggregate.std(e.getValue());
            i++;
        }
        return out;
    }

    private ObjectNode summary() {
        ObjectNode root = Json.object();
        ObjectNode methods = root.putObject("methods");
        for (Map.Entry<String, List<RunCurves>> e : runs.entrySet()) {
            ObjectNode v = methods.putObject(e.getKey());
            v.put("seeds", e.getValue().size());
            for (Metric m : EVAL) {
                List<Double> finals = new ArrayList<>();
                List<Double> bests = new ArrayList<>();
                for (RunCurves r : e.getValue()) {
                    List<double[]> s = r.series(m.key());
                    if (s.isEmpty()) {
                        continue;
                    }
                    finals.add(s.get(s.size() - 1)[1]);
                    double best = s.get(0)[1];
                    for (double[] p : s) {
                        best = Boolean.TRUE.equals(m.lowerIsBetter()) ? Math.min(best, p[1]) : Math.max(best, p[1]);
                    }
                    if (m.ranked()) {
                        bests.add(best);
                    }
                }
                if (!finals.isEmpty()) {
                    ObjectNode k = v.putObject(m.key());
                    stat(k, "final", finals);
                    if (m.ranked()) {
                        stat(k, "best", bests);
                    }
                    k.put("better", m.direction());
                }
            }
            training(v, e.getValue());
        }
        if (runs.containsKey("gad") && runs.containsKey("seqkd")) {
            ObjectNode cmp = root.putObject("gad_vs_seqkd");
            for (Metric m : EVAL) {
                compare(cmp, m, runs.get("gad"), runs.get("seqkd"));
            }
        }
        return root;
    }

    /** Discriminator accuracy and reward by phase, and the rollouts' shape at the start and end of each phase. */
    private static void training(ObjectNode v, List<RunCurves> runs) {
        Map<String, Map<String, List<Double>>> byPhase = new LinkedHashMap<>();
        for (RunCurves r : runs) {
            Map<String, List<JsonNode>> rows = new LinkedHashMap<>();
            for (JsonNode row : r.rows()) {
                if (row.path("step").asLong() > 0 && row.has("phase")) {
                    rows.computeIfAbsent(row.get("phase").asText(), k -> new ArrayList<>()).add(row);
                }
            }
            rows.forEach((phase, rs) -> {
                Map<String, List<Double>> acc = byPhase.computeIfAbsent(phase, k -> new LinkedHashMap<>());
                int tenth = Math.max(1, rs.size() / 10);
                for (String key : List.of("d_acc", "reward_mean", "sample_len", "sample_repetition", "kl_ref")) {
                    if (rs.get(0).has(key)) {
                        acc.computeIfAbsent(key + "_first10pct", k -> new ArrayList<>()).add(mean(rs.subList(0, tenth), key));
                        acc.computeIfAbsent(key + "_last10pct", k -> new ArrayList<>()).add(mean(rs.subList(rs.size() - tenth, rs.size()), key));
                        acc.computeIfAbsent(key + "_max", k -> new ArrayList<>()).add(rs.stream().mapToDouble(x -> x.path(key).asDouble()).max().orElse(Double.NaN));
                    }
                }
            });
        }
        ObjectNode phases = v.putObject("phases");
        byPhase.forEach((phase, acc) -> {
            ObjectNode p = phases.putObject(phase);
            acc.forEach((k, values) -> stat(p, k, values));
        });
    }

    private static double mean(List<JsonNode> rows, String key) {
        double s = 0;
        for (JsonNode r : rows) {
            s += r.path(key).asDouble();
        }
        return s / rows.size();
    }

    /** Final values of GAD minus SeqKD, seed by seed (same seeds), with the count of seeds GAD wins. */
    private static void compare(ObjectNode cmp, Metric m, List<RunCurves> gad, List<RunCurves> seqkd) {
        List<Double> diffs = new ArrayList<>();
        int wins = 0;
        for (RunCurves g : gad) {
            for (RunCurves s : seqkd) {
                if (s.seed() != g.seed()) {
                    continue;
                }
                List<double[]> gs = g.series(m.key());
                List<double[]> ss = s.series(m.key());
                if (gs.isEmpty() || ss.isEmpty()) {
                    continue;
                }
                double d = gs.get(gs.size() - 1)[1] - ss.get(ss.size() - 1)[1];
                diffs.add(d);
                wins += m.ranked() && (m.lowerIsBetter() ? d < 0 : d > 0) ? 1 : 0;
            }
        }
        if (diffs.isEmpty()) {
            return;
        }
        ObjectNode k = cmp.putObject(m.key());
        stat(k, "final_gad_minus_seqkd", diffs);
        if (m.ranked()) {
            k.put("gad_better_on_seeds", wins + "/" + diffs.size());
        }
        k.put("better", m.direction());
    }

    private static void stat(ObjectNode v, String key, List<Double> values) {
        ObjectNode s = v.putObject(key);
        s.put("mean", Aggregate.mean(values));
        s.put("std", Aggregate.std(values));
        ArrayNode a = s.putArray("values");
        values.forEach(a::add);
    }

    private String html(ObjectNode summary) {
        StringBuilder h = new StringBuilder("""
                <!doctype html><html><head><meta charset="utf-8"><title>distill4j — oracle lens</title>
                <style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
                img{max-width:540px;margin:4px;border:1px solid #eee}table{border-collapse:collapse;font-size:13px}
                td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}
                td:first-child{text-align:left}</style></head><body>
                <h1>Black-box distillation through the oracle lens</h1>
                <p>The teacher is used as a black box (text only). Golden = distance from the oracle (the truth) to the
                student; the oracle judge is the oracle's log-likelihood of the student's responses; n-gram F1 and ROUGE-L
                compare the student's responses with the teacher's. Evaluation curves are against generator steps; bands are
                ± one standard deviation over seeds. Built from the metrics files by <code>./distill report</code>.</p>
                <h2>Final values (mean ± std over seeds)</h2><table><tr><th>method</th><th>seeds</th>""");
        List<Metric> shown = EVAL;
        for (Metric m : shown) {
            h.append("<th>").append(m.key()).append(m.ranked() ? m.lowerIsBetter() ? " ↓" : " ↑" : "").append("</th>");
        }
        h.append("</tr>");
        summary.path("methods").fields().forEachRemaining(e -> {
            h.append("<tr><td>").append(e.getKey()).append("</td><td>").append(e.getValue().path("seeds").asInt()).append("</td>");
            for (Metric m : shown) {
                JsonNode f = e.getValue().path(m.key()).path("final");
                h.append(f.isMissingNode() ? "<td>–</td>" : String.format("<td>%.3f ± %.3f</td>", f.path("mean").asDouble(), f.path("std").asDouble()));
            }
            h.append("</tr>");
        });
        h.append("</table>");
        JsonNode cmp = summary.path("gad_vs_seqkd");
        if (!cmp.isMissingNode()) {
            h.append("<h2>GAD − SeqKD (final, same seed)</h2><table><tr><th>metric</th><th>difference</th><th>GAD better on</th></tr>");
            cmp.fields().forEachRemaining(e -> h.append(String.format("<tr><td>%s (%s is better)</td><td>%.3f ± %.3f</td><td>%s seeds</td></tr>",
                    e.getKey(), e.getValue().path("better").asText(), e.getValue().path("final_gad_minus_seqkd").path("mean").asDouble(),
                    e.getValue().path("final_gad_minus_seqkd").path("std").asDouble(), e.getValue().path("gad_better_on_seeds").asText("–"))));
            h.append("</table>");
        }
        h.append("<h2>Figures</h2>");
        images.forEach((name, bytes) -> h.append("<img alt=\"").append(name).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(bytes)).append("\">"));
        h.append("<h2>summary.json</h2><pre>").append(Json.pretty(summary).replace("<", "&lt;")).append("</pre>");
        return h.append("</body></html>\n").toString();
    }
}
