package org.distill4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.eval.HackingDetector;
import org.distill4j.util.AtomicFiles;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;
import org.knowm.xchart.XYChart;

/**
 * Builds report.html, plots/*.png and summary.json of a lab run from its metrics files alone
 * ({@code ./distill report RUN_DIR}): the paper's Figs. 4–7 with bands over seeds, and the detector's
 * verdicts with and without the oracle.
 */
public final class LabReport {
    static final List<String> SOURCES = List.of("offline", "online-teacher", "online-student");
    private final Path runDir;
    private final Map<String, List<RunCurves>> runs;
    private final Map<String, byte[]> images = new LinkedHashMap<>();

    public LabReport(Path runDir) {
        this.runDir = runDir;
        this.runs = RunCurves.load(runDir);
    }

    /** Writes everything; returns the path of report.html. */
    public Path write() {
        if (runs.isEmpty()) {
            throw new UserError(runDir + ": no distillation runs (seed-*/VARIANT/metrics.jsonl) to report on");
        }
        Path plots = runDir.resolve("plots");
        proxyGolden(plots);
        overEpochs(plots);
        diversity(plots);
        budget(plots);
        ObjectNode summary = summary();
        Json.write(runDir.resolve("summary.json"), summary);
        Path html = runDir.resolve("report.html");
        AtomicFiles.writeString(html, html(summary));
        return html;
    }

    private void add(String name, XYChart chart, Path plots) {
        images.put(name, Charts.write(chart, plots.resolve(name + ".png")));
    }

    private void proxyGolden(Path plots) {
        XYChart c = Charts.chart("Proxy vs golden metric (Fig. 4)", "proxy: E_{y~teacher} Σ KL(teacher‖student)",
                "golden: E_{y~oracle} Σ KL(oracle‖student)");
        int i = 0;
        for (String s : SOURCES) {
            if (runs.containsKey(s)) {
                Aggregate proxy = Aggregate.of(runs.get(s), "proxy_fkl");
                Aggregate golden = Aggregate.of(runs.get(s), "golden_fkl");
                if (!proxy.isEmpty() && proxy.mean().length == golden.mean().length) {
                    Charts.band(c, s, proxy.mean(), golden.mean(), golden.std(), i);
                }
            }
            i++;
        }
        add("fig4-proxy-golden", c, plots);
    }

    private void overEpochs(Path plots) {
        String[][] metrics = {{"train_loss", "train loss (forward KL per token)"}, {"proxy_fkl", "proxy metric"},
            {"golden_fkl", "golden metric"}};
        for (String[] m : metrics) {
            XYChart c = Charts.chart(m[1] + " by data source (Fig. 5)", "epoch", m[1]);
            int i = 0;
            for (String s : SOURCES) {
                if (runs.containsKey(s)) {
                    Aggregate a = Aggregate.of(runs.get(s), m[0]);
                    if (!a.isEmpty()) {
                        Charts.band(c, s, a.epochs(), a.mean(), a.std(), i);
                    }
                }
                i++;
            }
            add("fig5-" + m[0].replace('_', '-'), c, plots);
        }
    }

    private void diversity(Path plots) {
        if (!runs.containsKey("low-diversity") || !runs.containsKey("offline")) {
            return;
        }
        for (String key : List.of("proxy_fkl", "golden_fkl")) {
            XYChart c = Charts.chart((key.startsWith("golden") ? "Golden" : "Proxy") + " metric: prompt diversity (Fig. 6)",
                    "step", key.startsWith("golden") ? "golden metric" : "proxy metric");
            Charts.band(c, label("offline"), steps("offline", key), Aggregate.of(runs.get("offline"), key).mean(),
                    Aggregate.of(runs.get("offline"), key).std(), 0);
            Charts.band(c, label("low-diversity"), steps("low-diversity", key), Aggregate.of(runs.get("low-diversity"), key).mean(),
                    Aggregate.of(runs.get("low-diversity"), key).std(), 1);
            add("fig6-diversity-" + key.substring(0, key.indexOf('_')), c, plots);
        }
    }

    private void budget(Path plots) {
        List<String> names = new ArrayList<>();
        for (String v : runs.keySet()) {
            if (v.startsWith("budget-")) {
                names.add(v);
            }
        }
        if (names.isEmpty()) {
            return;
        }
        names.add("offline");
        names.sort((a, b) -> Integer.compare(generations(a), generations(b)));
        XYChart c = Charts.chart("Golden metric by generation budget (Fig. 7)", "step", "golden metric");
        int i = 0;
        for (String v : names) {
            Aggregate a = Aggregate.of(runs.get(v), "golden_fkl");
            Charts.band(c, generations(v) + " generation(s) per prompt", a.steps(), a.mean(), a.std(), i++);
        }
        add("fig7-budget", c, plots);
    }

    private double[] steps(String variant, String key) {
        return Aggregate.of(runs.get(variant), key).steps();
    }

    private int generations(String variant) {
        RunCurves r = runs.get(variant).get(0);
        return RunCurves.meta(runDir, variant, r.seed()).path("generations").asInt(0);
    }

    private String label(String variant) {
        RunCurves r = runs.get(variant).get(0);
        JsonNode meta = RunCurves.meta(runDir, variant, r.seed());
        return variant + " (" + meta.path("prompts").asInt() + " prompts × " + meta.path("generations").asInt() + ")";
    }

    private ObjectNode summary() {
        ObjectNode root = Json.object();
        HackingDetector detector = HackingDetector.defaults();
        for (Map.Entry<String, List<RunCurves>> e : runs.entrySet()) {
            ObjectNode v = root.putObject(e.getKey());
            ArrayNode perSeed = v.putArray("seeds");
            List<Double> minGolden = new ArrayList<>();
            List<Double> finalGolden = new ArrayList<>();
            List<Double> minProxy = new ArrayList<>();
            List<Double> finalProxy = new ArrayList<>();
            List<Double> lateGolden = new ArrayList<>();
            List<Double> riseGolden = new ArrayList<>();
            int flaggedProxy = 0;
            int flaggedGolden = 0;
            for (RunCurves r : e.getValue()) {
                List<HackingDetector.Point> proxy = points(r, "proxy_fkl");
                List<HackingDetector.Point> golden = points(r, "golden_fkl");
                if (proxy.isEmpty()) {
                    continue;
                }
                HackingDetector.Verdict vp = detector.proxy(proxy);
                HackingDetector.Verdict vg = detector.golden(golden);
                flaggedProxy += vp.hacking() ? 1 : 0;
                flaggedGolden += vg.hacking() ? 1 : 0;
                ObjectNode s = perSeed.addObject();
                s.put("seed", r.seed());
                s.put("hacking_without_oracle", vp.hacking());
                vp.onsetStep().ifPresent(o -> s.put("onset_without_oracle", o));
                s.put("reason_without_oracle", vp.reason());
                s.put("hacking_with_oracle", vg.hacking());
                vg.onsetStep().ifPresent(o -> s.put("onset_with_oracle", o));
                s.put("reason_with_oracle", vg.reason());
                minGolden.add(golden.stream().mapToDouble(HackingDetector.Point::value).min().orElse(Double.NaN));
                finalGolden.add(golden.get(golden.size() - 1).value());
                minProxy.add(proxy.stream().mapToDouble(HackingDetector.Point::value).min().orElse(Double.NaN));
                finalProxy.add(proxy.get(proxy.size() - 1).value());
                double late = late(golden);
                double rise = rise(golden);
                lateGolden.add(late);
                riseGolden.add(rise);
                s.put("golden_late", late);
                s.put("golden_rise", rise);
            }
            v.put("flagged_without_oracle", flaggedProxy + "/" + e.getValue().size());
            v.put("flagged_with_oracle", flaggedGolden + "/" + e.getValue().size());
            stat(v, "golden_min", minGolden);
            stat(v, "golden_final", finalGolden);
            stat(v, "proxy_min", minProxy);
            stat(v, "proxy_final", finalProxy);
            stat(v, "golden_late", lateGolden);
            stat(v, "golden_rise", riseGolden);
        }
        for (Map.Entry<String, List<RunCurves>> e : runs.entrySet()) {
            if (!e.getKey().equals("offline") && runs.containsKey("offline") && !SOURCES.contains(e.getKey())) {
                pairedWithOffline((ObjectNode) root.get(e.getKey()), (ObjectNode) root.get("offline"));
            }
        }
        return root;
    }

    /**
     * The mean golden metric over the second half of the run (evaluations at steps ≥ half the last step):
     * a single evaluation jitters with the student's last updates, the late mean is where the run ended up.
     */
    static double late(List<HackingDetector.Point> golden) {
        long half = golden.get(golden.size() - 1).step() / 2;
        return golden.stream().filter(p -> p.step() >= half).mapToDouble(HackingDetector.Point::value).average().orElse(Double.NaN);
    }

    /**
     * How far the run came back up from its early best: the late mean minus the minimum of the evaluations
     * before the late window. Negative when the metric was still falling; the minimum over the whole run
     * would make a curve that falls to its last point look as if it had risen (late mean − final minimum).
     */
    static double rise(List<HackingDetector.Point> golden) {
        long half = golden.get(golden.size() - 1).step() / 2;
        double early = golden.stream().filter(p -> p.step() < half).mapToDouble(HackingDetector.Point::value).min().orElse(Double.NaN);
        return late(golden) - early;
    }

    /**
     * A dataset variant against the offline baseline, seed by seed: both runs of a seed share prompts and
     * teacher draws (nested prefixes) and the student's start, so their difference is less noisy than the
     * difference of the means over seeds. Mean and standard error of the per-seed differences.
     */
    private static void pairedWithOffline(ObjectNode variant, ObjectNode offline) {
        ObjectNode vs = variant.putObject("vs_offline");
        for (String key : List.of("golden_late", "golden_rise")) {
            List<Double> diffs = new ArrayList<>();
            ArrayNode perSeed = Json.MAPPER.createArrayNode();
            for (JsonNode s : variant.path("seeds")) {
                for (JsonNode o : offline.path("seeds")) {
                    if (o.path("seed").asLong() == s.path("seed").asLong() && s.has(key) && o.has(key)) {
                        double d = s.get(key).asDouble() - o.get(key).asDouble();
                        diffs.add(d);
                        perSeed.add(d);
                    }
                }
            }
            ObjectNode d = vs.putObject(key + "_diff");
            d.put("mean", Aggregate.mean(diffs));
            d.put("stderr", diffs.size() < 2 ? 0 : Aggregate.std(diffs) / Math.sqrt(diffs.size()));
            d.set("per_seed", perSeed);
        }
    }

    private static List<HackingDetector.Point> points(RunCurves r, String key) {
        List<HackingDetector.Point> out = new ArrayList<>();
        for (double[] p : r.series(key)) {
            out.add(new HackingDetector.Point((long) p[0], p[1], p[2]));
        }
        return out;
    }

    private static void stat(ObjectNode v, String key, List<Double> values) {
        ObjectNode s = v.putObject(key);
        s.put("mean", Aggregate.mean(values));
        s.put("std", Aggregate.std(values));
    }

    private String html(ObjectNode summary) {
        StringBuilder h = new StringBuilder("""
                <!doctype html><html><head><meta charset="utf-8"><title>distill4j — teacher hacking</title>
                <style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
                img{max-width:540px;margin:4px;border:1px solid #eee}table{border-collapse:collapse;font-size:13px}
                td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}
                td:first-child{text-align:left}</style></head><body>
                <h1>Teacher hacking on the embedded task</h1>
                <p>Proxy metric = E<sub>y~teacher</sub> Σ<sub>t</sub> KL(teacher‖student), golden metric =
                E<sub>y~oracle</sub> Σ<sub>t</sub> KL(oracle‖student), on held-out prompts; bands are ± one standard
                deviation over seeds. Built from the metrics files by <code>./distill report</code>.</p>
                """);
        h.append("<h2>Detector verdicts and metrics</h2><table><tr><th>variant</th><th>flagged without oracle</th>"
                + "<th>flagged with oracle</th><th>golden min</th><th>golden final</th><th>golden late</th><th>golden rise</th>"
                + "<th>proxy min</th><th>proxy final</th><th>late − offline (paired)</th><th>rise − offline (paired)</th></tr>");
        summary.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            h.append("<tr><td>").append(e.getKey()).append("</td><td>").append(v.path("flagged_without_oracle").asText())
                    .append("</td><td>").append(v.path("flagged_with_oracle").asText()).append("</td>");
            for (String k : List.of("golden_min", "golden_final", "golden_late", "golden_rise", "proxy_min", "proxy_final")) {
                h.append(String.format("<td>%.3f ± %.3f</td>", v.path(k).path("mean").asDouble(), v.path(k).path("std").asDouble()));
            }
            for (String k : List.of("golden_late_diff", "golden_rise_diff")) {
                JsonNode d = v.path("vs_offline").path(k);
                h.append(d.isMissingNode() ? "<td></td>"
                        : String.format("<td>%+.3f ± %.3f</td>", d.path("mean").asDouble(), d.path("stderr").asDouble()));
            }
            h.append("</tr>");
        });
        h.append("</table><p>golden late = mean golden metric over the second half of the run; golden rise = late − the minimum before that half (negative: still falling); "
                + "the paired columns are the mean ± standard error over seeds of the per-seed difference to the offline run "
                + "(same prompts, teacher draws and student start).</p><h2>Figures</h2>");
        images.forEach((name, bytes) -> h.append("<img alt=\"").append(name).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(bytes)).append("\">"));
        Path toy = runDir.resolve("toy").resolve("toy.png");
        if (Files.exists(toy)) {
            try {
                h.append("<h2>The Gaussian-mixture toy (GAD vs SeqKD)</h2><img src=\"data:image/png;base64,")
                        .append(Base64.getEncoder().encodeToString(Files.readAllBytes(toy))).append("\">");
                Path table = runDir.resolve("toy").resolve("table.txt");
                if (Files.exists(table)) {
                    h.append("<pre>").append(Files.readString(table).replace("<", "&lt;")).append("</pre>");
                }
            } catch (java.io.IOException e) {
                throw new UserError(toy + ": cannot read: " + e.getMessage(), e);
            }
        }
        h.append("<h2>Per-seed detector reasons</h2><pre>").append(Json.pretty(summary).replace("<", "&lt;")).append("</pre>");
        return h.append("</body></html>\n").toString();
    }
}
