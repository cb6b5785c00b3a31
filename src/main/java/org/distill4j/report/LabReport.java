package org.distill4j.report;

import com.fasterxml.jackson.databind.JsonNode;
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
    private LabSummary summary;

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
        summary = LabSummary.of(runs, HackingDetector.defaults());
        Json.write(runDir.resolve("summary.json"), summary);
        Path html = runDir.resolve("report.html");
        AtomicFiles.writeString(html, html(summary));
        return html;
    }

    /** The summary written by {@link #write}. */
    public LabSummary summary() {
        if (summary == null) {
            throw new IllegalStateException("write() first");
        }
        return summary;
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
        if (runs.containsKey("offline") && runs.get("offline").size() > 1) {
            XYChart seeds = Charts.chart("Proxy vs golden metric, offline, per seed (Fig. 4)", "proxy: E_{y~teacher} Σ KL(teacher‖student)",
                    "golden: E_{y~oracle} Σ KL(oracle‖student)");
            int k = 0;
            for (RunCurves r : runs.get("offline")) {
                double[] proxy = r.series("proxy_fkl").stream().mapToDouble(p -> p[1]).toArray();
                double[] golden = r.series("golden_fkl").stream().mapToDouble(p -> p[1]).toArray();
                if (proxy.length > 0 && proxy.length == golden.length) {
                    Charts.band(seeds, "offline, seed " + r.seed(), proxy, golden, new double[golden.length], k);
                }
                k++;
            }
            add("fig4-proxy-golden-offline-seeds", seeds, plots);
        }
    }

    private void overEpochs(Path plots) {
        String[][] metrics = {{"train_loss", "train loss (forward KL per token)"}, {"proxy_fkl", "proxy metric"},
            {"golden_fkl", "golden metric"}, {"train_proxy_fkl", "proxy metric on training prompts"},
            {"train_golden_fkl", "golden metric on training prompts"}};
        for (String[] m : metrics) {
            if (runs.values().stream().flatMap(List::stream).allMatch(r -> r.series(m[0]).isEmpty())) {
                continue; // runs made before the lab measured on training prompts
            }
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

    /** Per seed, the numbers behind the Fig. 4 U column ({@link PaperSignature}). */
    private static void signatureTable(StringBuilder h, LabSummary summary) {
        h.append("<h2>The paper's signature (Fig. 4 U), per seed</h2><table><tr><th>variant</th><th>seed</th><th>golden min (step)</th>"
                + "<th>noise unit σ</th><th>golden rise at the end, noise units</th><th>held-out proxy at the golden min → end</th>"
                + "<th>proxy on training prompts at the golden min → end</th><th>U shown</th></tr>");
        summary.variants().forEach((name, v) -> v.seeds().forEach(s -> {
            PaperSignature p = s.signature();
            h.append(String.format("<tr><td>%s</td><td>%d</td><td>%.3f (%d)</td><td>%.3f</td><td>%s</td><td>%s → %.3f</td><td>%s</td><td>%s</td></tr>",
                    name, s.seed(), p.goldenMin(), p.goldenMinStep(), p.goldenNoise(),
                    p.goldenRiseNoiseUnits() == null ? "no rise" : String.format("%.1f", p.goldenRiseNoiseUnits()),
                    p.proxyAtGoldenMin() == null ? "?" : String.format("%.3f", p.proxyAtGoldenMin()), p.proxyEnd(),
                    p.trainProxyEnd() == null || p.trainProxyAtGoldenMin() == null ? ""
                            : String.format("%.3f → %.3f", p.trainProxyAtGoldenMin(), p.trainProxyEnd()), p.shown() ? "yes" : "no"));
        }));
        h.append("</table><p>U shown = the golden metric's last three evaluations average at least 3 of the golden detector's "
                + "noise units (σ·√(1 + 1/3), σ the curve's own noise) above its minimum — the detector's test, on the run's end — "
                + "while the held-out proxy ends below its value at the golden minimum: the student still got closer to the "
                + "teacher while it got further from the oracle (docs/hacking-detector.md).</p>");
    }

    private String html(LabSummary summary) {
        StringBuilder h = new StringBuilder("""
                <!doctype html><html><head><meta charset="utf-8"><title>distill4j — teacher hacking</title>
                <style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
                img{max-width:540px;margin:4px;border:1px solid #eee}table{border-collapse:collapse;font-size:13px}
                td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}
                td:first-child{text-align:left}</style></head><body>
                <h1>Teacher hacking</h1>
                <p>Proxy metric = E<sub>y~teacher</sub> Σ<sub>t</sub> KL(teacher‖student), golden metric =
                E<sub>y~oracle</sub> Σ<sub>t</sub> KL(oracle‖student), on held-out prompts; bands are ± one standard
                deviation over seeds. Built from the metrics files by <code>./distill report</code>.</p>
                """);
        h.append("<h2>Detector verdicts and metrics</h2><table><tr><th>variant</th><th>flagged without oracle</th>"
                + "<th>flagged with oracle</th><th>golden min</th><th>golden final</th><th>golden late</th><th>golden rise</th>"
                + "<th>proxy min</th><th>proxy final</th><th>proxy on training prompts: min</th><th>final</th><th>late − offline (paired)</th><th>rise − offline (paired)</th>"
                + "<th>Fig. 4 U</th></tr>");
        summary.variants().forEach((name, v) -> {
            h.append("<tr><td>").append(name).append("</td><td>").append(v.flaggedWithoutOracle())
                    .append(" (").append(v.undeterminedWithoutOracle()).append(" undetermined)</td><td>").append(v.flaggedWithOracle())
                    .append(" (").append(v.undeterminedWithOracle()).append(" undetermined)</td>");
            for (LabSummary.Stat st : List.of(v.goldenMin(), v.goldenFinal(), v.goldenLate(), v.goldenRise(), v.proxyMin(), v.proxyFinal())) {
                h.append(String.format("<td>%.3f ± %.3f</td>", st.mean(), st.std()));
            }
            for (LabSummary.Stat st : java.util.Arrays.asList(v.trainProxyMin(), v.trainProxyFinal())) {
                h.append(st == null ? "<td></td>" : String.format("<td>%.3f ± %.3f</td>", st.mean(), st.std()));
            }
            for (int k = 0; k < 2; k++) {
                LabSummary.Diff d = v.vsOffline() == null ? null : k == 0 ? v.vsOffline().goldenLateDiff() : v.vsOffline().goldenRiseDiff();
                h.append(d == null ? "<td></td>" : String.format("<td>%+.3f ± %.3f</td>", d.mean(), d.stderr()));
            }
            h.append("<td>").append(v.paperSignature()).append("</td></tr>");
        });
        h.append("</table><p>").append(summary.agreement()).append(".</p><p>undetermined = not flagged, but the run ended with its metric still falling (the student was still "
                + "improving: a longer run may yet turn; docs/hacking-detector.md); ");
        h.append("golden late = mean golden metric over the second half of the run; golden rise = late − the minimum before that half (negative: still falling); "
                + "the paired columns are the mean ± standard error over seeds of the per-seed difference to the offline run "
                + "(same prompts, teacher draws and student start).</p>");
        signatureTable(h, summary);
        h.append("<h2>Figures</h2>");
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
