package org.distill4j.report;

import com.fasterxml.jackson.databind.JsonNode;
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

    static final List<String> ORDER = List.of("seqkd", "gad", "frozen-d", "gad-no-g-warmup", "gad-no-d-warmup");

    /** The teacher's side of the headroom, in the lens's data/ (written by experiment.OracleLens). */
    public static final String TEACHER_METRICS_FILE = "teacher-metrics.json";

    /** Evaluation metrics: key, label, whether lower is better (null: neither, e.g. length). */
    record Metric(String key, String label, Boolean lowerIsBetter) {
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

    /** Evaluation metrics drawn as figures. */
    private static final List<String> CHARTED = List.of("golden_fkl", "golden_rkl", "oracle_ll_tok", "f1_4", "eval_len", "eval_repetition");

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
        for (String key : LensSummary.presentKeys(runs, EVAL)) {
            Metric m = LensSummary.metric(key, EVAL);
            if (!CHARTED.contains(m.key()) || key.contains("_sampled_")) {
                continue; // the summary has every key; the figures the main ones (greedy decoding where decoded)
            }
            XYChart c = Charts.chart(key.substring(0, key.length() - m.key().length()).replace('_', ' ') + m.label(), "generator steps", key);
            int i = 0;
            boolean any = false;
            for (Map.Entry<String, List<RunCurves>> e : runs.entrySet()) {
                Aggregate a = Aggregate.of(e.getValue(), key, "g_step");
                if (!a.isEmpty()) {
                    Charts.band(c, e.getKey(), a.steps(), a.mean(), a.std(), i);
                    any = true;
                }
                i++;
            }
            if (any) {
                add("eval-" + key.replace('_', '-'), c, plots);
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
        ObjectNode summary = LensSummary.of(runs, EVAL, runDir);
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
                """);
        finalTables(h, summary);
        summary.fields().forEachRemaining(e -> {
            if (!e.getKey().endsWith("_vs_seqkd")) {
                return;
            }
            h.append("<h2>").append(e.getKey()).append(" (same seed; final, and at the best checkpoint)</h2><table><tr><th>metric</th>"
                    + "<th>final difference</th><th>best difference</th><th>better on (final, best)</th></tr>");
            e.getValue().fields().forEachRemaining(k -> h.append(String.format(
                    "<tr><td>%s (%s is better)</td><td>%.3f ± %.3f</td><td>%.3f ± %.3f</td><td>%s seeds</td></tr>", k.getKey(),
                    k.getValue().path("better").asText(), k.getValue().path("final_minus_seqkd").path("mean").asDouble(),
                    k.getValue().path("final_minus_seqkd").path("std").asDouble(), k.getValue().path("best_minus_seqkd").path("mean").asDouble(),
                    k.getValue().path("best_minus_seqkd").path("std").asDouble(),
                    k.getValue().path("better_on_seeds").asText("–") + ", " + k.getValue().path("best_better_on_seeds").asText("–"))));
            h.append("</table>");
        });
        StringBuilder health = new StringBuilder();
        summary.path("methods").fields().forEachRemaining(e -> health.append(GameHealth.html(e.getKey(), e.getValue().path("health"))));
        if (!health.isEmpty()) {
            h.append("<h2>Game health</h2><p>The discriminator's accuracy over the warmup's last 10 rows (below ")
                    .append(org.distill4j.gad.GameMonitor.Thresholds.defaults().weakDiscriminator())
                    .append(" it is weak), and what the live game monitor reports (docs/gad.md).</p><table><tr><th>method</th>"
                            + "<th>d_acc at the end of the warmup</th><th>weak on seeds</th><th>monitor fired on</th><th>alarms</th></tr>")
                    .append(health).append("</table>");
        }
        h.append("<h2>Figures</h2>");
        images.forEach((name, bytes) -> h.append("<img alt=\"").append(name).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(bytes)).append("\">"));
        h.append("<h2>summary.json</h2><pre>").append(Json.pretty(summary).replace("<", "&lt;")).append("</pre>");
        return h.append("</body></html>\n").toString();
    }

    /**
     * The headroom, then one table per split and decoding: rows the methods, cells "final / best checkpoint", mean ± std
     * over seeds.
     */
    private void finalTables(StringBuilder h, ObjectNode summary) {
        JsonNode head = summary.path("headroom");
        if (!head.isMissingNode()) {
            h.append("<h2>Headroom: the teacher (").append(head.path("teacher").asText())
                    .append(") against the student before distillation</h2><table><tr><th>split</th><th>metric</th><th>teacher</th>"
                            + "<th>student before</th><th>gap (teacher − student)</th></tr>");
            head.fields().forEachRemaining(split -> split.getValue().fields().forEachRemaining(m -> h.append(String.format(
                    "<tr><td>%s</td><td>%s</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>", split.getKey(), m.getKey(),
                    m.getValue().path("teacher").asDouble(), m.getValue().path("student_before").asDouble(Double.NaN),
                    m.getValue().path("gap").asDouble(Double.NaN)))));
            h.append("</table>");
        }
        JsonNode rule = summary.path("best_checkpoint_rule");
        h.append("<p>Best checkpoint, one rule for every method: the evaluation with the ")
                .append(rule.path("higher_is_better").asBoolean() ? "highest " : "lowest ").append(rule.path("metric").asText("–"))
                .append("; every metric is reported at that evaluation.</p>");
        List<String> keys = new ArrayList<>();
        summary.path("methods").fields().forEachRemaining(e -> e.getValue().fieldNames().forEachRemaining(k -> {
            if (e.getValue().path(k).has("final") && !keys.contains(k)) {
                keys.add(k);
            }
        }));
        for (String prefix : LensSummary.PREFIXES) {
            List<Metric> cols = new ArrayList<>();
            for (Metric m : EVAL) {
                if (keys.contains(prefix + m.key()) && (prefix.isEmpty() || !keys.contains(m.key()))) {
                    cols.add(m);
                }
            }
            if (cols.isEmpty()) {
                continue;
            }
            h.append("<h2>").append(prefix.isEmpty() ? "Evaluation" : prefix.replace('_', ' ').strip())
                    .append(": final / best checkpoint (mean ± std over seeds)</h2><table><tr><th>method</th><th>seeds</th>");
            cols.forEach(m -> h.append("<th>").append(m.key()).append(m.ranked() ? m.lowerIsBetter() ? " ↓" : " ↑" : "").append("</th>"));
            h.append("</tr>");
            summary.path("methods").fields().forEachRemaining(e -> {
                h.append("<tr><td>").append(e.getKey()).append("</td><td>").append(e.getValue().path("seeds").asInt()).append("</td>");
                for (Metric m : cols) {
                    JsonNode k = e.getValue().path(prefix + m.key());
                    h.append(k.isMissingNode() ? "<td>–</td>" : String.format("<td>%.3f ± %.3f / %.3f ± %.3f</td>",
                            k.path("final").path("mean").asDouble(), k.path("final").path("std").asDouble(),
                            k.path("best").path("mean").asDouble(), k.path("best").path("std").asDouble()));
                }
                h.append("</tr>");
            });
            h.append("</table>");
        }
    }
}
