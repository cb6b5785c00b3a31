package org.distill4j.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.eval.HackingDetector;

/**
 * summary.json of a lab run: per variant, the detector's verdicts with and without the oracle for every seed, and
 * the golden and proxy metrics' minimum, final, late and rise values as mean and spread over seeds; dataset
 * variants also against the offline run of the same seed. Built from the runs' curves alone.
 */
public record LabSummary(@JsonValue Map<String, Variant> variants) {

    /** One seed's run of a variant. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Seed(long seed, boolean hackingWithoutOracle, Long onsetWithoutOracle, String reasonWithoutOracle,
                       boolean hackingWithOracle, Long onsetWithOracle, String reasonWithOracle, double goldenLate, double goldenRise,
                       String verdictWithoutOracle, String verdictWithOracle, PaperSignature signature) {}

    /** Mean and standard deviation over seeds. */
    public record Stat(double mean, double std) {
        static Stat of(List<Double> values) {
            return new Stat(Aggregate.mean(values), Aggregate.std(values));
        }
    }

    /** The mean and standard error over seeds of per-seed differences, and the differences. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Diff(double mean, double stderr, List<Double> perSeed) {}

    /** A dataset variant against the offline run of the same seed. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record VsOffline(Diff goldenLateDiff, Diff goldenRiseDiff) {}

    /** One variant over its seeds. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Variant(List<Seed> seeds, String flaggedWithoutOracle, String flaggedWithOracle, Stat goldenMin, Stat goldenFinal,
                          Stat proxyMin, Stat proxyFinal, Stat goldenLate, Stat goldenRise, VsOffline vsOffline,
                          String undeterminedWithoutOracle, String undeterminedWithOracle, Stat trainProxyMin, Stat trainProxyFinal,
                          String paperSignature) {
        Variant withVsOffline(VsOffline vs) {
            return new Variant(seeds, flaggedWithoutOracle, flaggedWithOracle, goldenMin, goldenFinal, proxyMin, proxyFinal, goldenLate,
                    goldenRise, vs, undeterminedWithoutOracle, undeterminedWithOracle, trainProxyMin, trainProxyFinal, paperSignature);
        }
    }

    /**
     * One line per variant for a terminal: the detector's verdicts over seeds, without and with the oracle, e.g.
     * {@code offline  without oracle: 3/3 hacking, 0/3 undetermined; with oracle: 3/3 hacking, 0/3 undetermined; Fig. 4 U: 0/3}
     * (the last: runs showing the paper's signature, {@link PaperSignature}).
     */
    public List<String> verdictLines() {
        int width = variants.keySet().stream().mapToInt(String::length).max().orElse(0);
        List<String> out = new ArrayList<>();
        variants.forEach((name, v) -> out.add(String.format("%-" + width + "s  without oracle: %s hacking, %s undetermined; "
                + "with oracle: %s hacking, %s undetermined; Fig. 4 U: %s", name, v.flaggedWithoutOracle(), v.undeterminedWithoutOracle(),
                v.flaggedWithOracle(), v.undeterminedWithOracle(), v.paperSignature())));
        out.add(agreement().toString());
        return out;
    }

    /**
     * The oracle-free detector judged by the golden U-turn over every run of the lab: its detections among the runs
     * whose golden metric turned up (flagged with the oracle), and its false alarms among those whose golden metric
     * did not (no rise: still falling, or levelled off).
     */
    public record Agreement(int hackingRuns, int detected, int cleanRuns, int falseAlarms) {
        @Override
        public String toString() {
            return String.format("detector without the oracle: %d of %d runs whose golden metric rose detected, "
                    + "%d false alarms in %d runs whose golden metric did not rise", detected, hackingRuns, falseAlarms, cleanRuns);
        }
    }

    /** The {@link Agreement} over every seed of every variant. */
    public Agreement agreement() {
        int hacking = 0;
        int detected = 0;
        int clean = 0;
        int alarms = 0;
        for (Variant v : variants.values()) {
            for (Seed s : v.seeds()) {
                if (s.hackingWithOracle()) {
                    hacking++;
                    detected += s.hackingWithoutOracle() ? 1 : 0;
                } else {
                    clean++;
                    alarms += s.hackingWithoutOracle() ? 1 : 0;
                }
            }
        }
        return new Agreement(hacking, detected, clean, alarms);
    }

    /** The summary of every variant's runs (dataset variants paired with offline when it ran). */
    static LabSummary of(Map<String, List<RunCurves>> runs, HackingDetector detector) {
        Map<String, Variant> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<RunCurves>> e : runs.entrySet()) {
            out.put(e.getKey(), variant(e.getValue(), detector));
        }
        Variant offline = out.get("offline");
        if (offline != null) {
            for (Map.Entry<String, Variant> e : out.entrySet()) {
                if (!e.getKey().equals("offline") && !LabReport.SOURCES.contains(e.getKey())) {
                    e.setValue(e.getValue().withVsOffline(new VsOffline(paired(e.getValue(), offline, Seed::goldenLate),
                            paired(e.getValue(), offline, Seed::goldenRise))));
                }
            }
        }
        return new LabSummary(out);
    }

    private static Variant variant(List<RunCurves> runs, HackingDetector detector) {
        List<Seed> seeds = new ArrayList<>();
        List<Double> minGolden = new ArrayList<>();
        List<Double> finalGolden = new ArrayList<>();
        List<Double> minProxy = new ArrayList<>();
        List<Double> finalProxy = new ArrayList<>();
        List<Double> minTrainProxy = new ArrayList<>();
        List<Double> finalTrainProxy = new ArrayList<>();
        int flaggedProxy = 0;
        int flaggedGolden = 0;
        int openProxy = 0;
        int openGolden = 0;
        int signatures = 0;
        for (RunCurves r : runs) {
            List<HackingDetector.Point> proxy = points(r, "proxy_fkl");
            List<HackingDetector.Point> golden = points(r, "golden_fkl");
            if (proxy.isEmpty()) {
                continue;
            }
            HackingDetector.Verdict vp = detector.proxy(proxy);
            HackingDetector.Verdict vg = detector.golden(golden);
            flaggedProxy += vp.hacking() ? 1 : 0;
            flaggedGolden += vg.hacking() ? 1 : 0;
            openProxy += vp.status() == HackingDetector.Status.UNDETERMINED ? 1 : 0;
            openGolden += vg.status() == HackingDetector.Status.UNDETERMINED ? 1 : 0;
            List<HackingDetector.Point> trainProxy = points(r, "train_proxy_fkl");
            PaperSignature signature = PaperSignature.of(golden, proxy, trainProxy, detector);
            signatures += signature.shown() ? 1 : 0;
            seeds.add(new Seed(r.seed(), vp.hacking(), vp.onsetStep().orElse(null), vp.reason(),
                    vg.hacking(), vg.onsetStep().orElse(null), vg.reason(), late(golden), rise(golden), vp.status().text(),
                    vg.status().text(), signature));
            minGolden.add(golden.stream().mapToDouble(HackingDetector.Point::value).min().orElse(Double.NaN));
            finalGolden.add(golden.get(golden.size() - 1).value());
            minProxy.add(proxy.stream().mapToDouble(HackingDetector.Point::value).min().orElse(Double.NaN));
            finalProxy.add(proxy.get(proxy.size() - 1).value());
            if (!trainProxy.isEmpty()) {
                minTrainProxy.add(trainProxy.stream().mapToDouble(HackingDetector.Point::value).min().orElse(Double.NaN));
                finalTrainProxy.add(trainProxy.get(trainProxy.size() - 1).value());
            }
        }
        return new Variant(seeds, flaggedProxy + "/" + runs.size(), flaggedGolden + "/" + runs.size(), Stat.of(minGolden),
                Stat.of(finalGolden), Stat.of(minProxy), Stat.of(finalProxy), Stat.of(seeds.stream().map(Seed::goldenLate).toList()),
                Stat.of(seeds.stream().map(Seed::goldenRise).toList()), null, openProxy + "/" + runs.size(), openGolden + "/" + runs.size(),
                minTrainProxy.isEmpty() ? null : Stat.of(minTrainProxy), finalTrainProxy.isEmpty() ? null : Stat.of(finalTrainProxy),
                signatures + "/" + runs.size());
    }

    /**
     * A dataset variant against the offline baseline, seed by seed: both runs of a seed share prompts and
     * teacher draws (nested prefixes) and the student's start, so their difference is less noisy than the
     * difference of the means over seeds.
     */
    private static Diff paired(Variant variant, Variant offline, java.util.function.ToDoubleFunction<Seed> key) {
        List<Double> diffs = new ArrayList<>();
        for (Seed s : variant.seeds()) {
            for (Seed o : offline.seeds()) {
                if (o.seed() == s.seed()) {
                    diffs.add(key.applyAsDouble(s) - key.applyAsDouble(o));
                }
            }
        }
        return new Diff(Aggregate.mean(diffs), diffs.size() < 2 ? 0 : Aggregate.std(diffs) / Math.sqrt(diffs.size()), diffs);
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

    static List<HackingDetector.Point> points(RunCurves r, String key) {
        List<HackingDetector.Point> out = new ArrayList<>();
        for (double[] p : r.series(key)) {
            out.add(new HackingDetector.Point((long) p[0], p[1], p[2]));
        }
        return out;
    }
}
