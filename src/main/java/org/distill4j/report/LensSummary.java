package org.distill4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.util.Json;

/**
 * summary.json of GAD-family runs (docs/oracle-lens.md): per method and evaluation metric (under each split and decoding
 * prefix the runs wrote, e.g. {@code ood_greedy_oracle_ll_tok}) the final value and the value at the best checkpoint —
 * one rule for every method: the evaluation with the highest in-distribution greedy oracle judge (or, in runs without
 * it, the first of {@link #SELECTION} they have) — with the spread over seeds; the headroom (teacher vs the student
 * before distillation); training curves by phase; game health; each method against SeqKD seed by seed.
 */
final class LensSummary {
    /** The best-checkpoint rule's metric, first present wins, with whether higher is better. */
    static final List<Map.Entry<String, Boolean>> SELECTION = List.of(Map.entry("id_greedy_oracle_ll_tok", true),
            Map.entry("oracle_ll_tok", true), Map.entry("id_golden_fkl", false), Map.entry("golden_fkl", false));

    /** Key prefixes of split and decoding ("" for runs evaluated without splits). */
    static final List<String> PREFIXES = List.of("", "id_", "ood_", "id_greedy_", "id_sampled_", "ood_greedy_", "ood_sampled_");

    private LensSummary() {}

    static ObjectNode of(Map<String, List<RunCurves>> runs, List<LensReport.Metric> eval, Path runDir) {
        ObjectNode root = Json.object();
        List<String> keys = presentKeys(runs, eval);
        String select = selectionKey(runs);
        if (select != null) {
            ObjectNode rule = root.putObject("best_checkpoint_rule");
            rule.put("metric", select);
            rule.put("higher_is_better", higherIsBetter(select));
        }
        headroom(root, runs, runDir);
        ObjectNode methods = root.putObject("methods");
        for (Map.Entry<String, List<RunCurves>> e : runs.entrySet()) {
            ObjectNode v = methods.putObject(e.getKey());
            v.put("seeds", e.getValue().size());
            List<Double> bestSteps = new ArrayList<>();
            for (RunCurves r : e.getValue()) {
                bestSteps.add((double) bestStep(r, select));
            }
            stat(v, "best_checkpoint_step", bestSteps);
            for (String key : keys) {
                List<Double> finals = new ArrayList<>();
                List<Double> bests = new ArrayList<>();
                for (RunCurves r : e.getValue()) {
                    List<double[]> s = r.series(key);
                    if (!s.isEmpty()) {
                        finals.add(s.get(s.size() - 1)[1]);
                        bests.add(at(s, bestStep(r, select)));
                    }
                }
                if (!finals.isEmpty()) {
                    ObjectNode k = v.putObject(key);
                    stat(k, "final", finals);
                    stat(k, "best", bests);
                    k.put("better", metric(key, eval).direction());
                }
            }
            PhaseStats.into(v, e.getValue());
            GameHealth.into(v, e.getValue());
        }
        if (runs.containsKey("seqkd")) {
            for (String method : runs.keySet()) {
                if (!method.equals("seqkd")) {
                    ObjectNode cmp = root.putObject(method.replace('-', '_') + "_vs_seqkd");
                    for (String key : keys) {
                        compare(cmp, key, metric(key, eval), runs.get(method), runs.get("seqkd"), select);
                    }
                }
            }
        }
        return root;
    }

    static LensReport.Metric metric(String key, List<LensReport.Metric> eval) {
        for (String p : PREFIXES) {
            for (LensReport.Metric m : eval) {
                if (key.equals(p + m.key())) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException(key);
    }

    /** Evaluation keys any run wrote, prefix by prefix in {@link #PREFIXES} order. */
    static List<String> presentKeys(Map<String, List<RunCurves>> runs, List<LensReport.Metric> eval) {
        Set<String> out = new LinkedHashSet<>();
        for (String p : PREFIXES) {
            for (LensReport.Metric m : eval) {
                for (List<RunCurves> rs : runs.values()) {
                    for (RunCurves r : rs) {
                        if (!r.series(p + m.key()).isEmpty()) {
                            out.add(p + m.key());
                        }
                    }
                }
            }
        }
        return new ArrayList<>(out);
    }

    private static String selectionKey(Map<String, List<RunCurves>> runs) {
        for (Map.Entry<String, Boolean> s : SELECTION) {
            for (List<RunCurves> rs : runs.values()) {
                for (RunCurves r : rs) {
                    if (!r.series(s.getKey()).isEmpty()) {
                        return s.getKey();
                    }
                }
            }
        }
        return null;
    }

    private static boolean higherIsBetter(String key) {
        return SELECTION.stream().filter(e -> e.getKey().equals(key)).findFirst().orElseThrow().getValue();
    }

    /**
     * The step of the run's best evaluation under the rule (the earliest of ties) among those after training began (the
     * step-0 student is the same for every method: it is the headroom's reference, not a method's checkpoint); the last
     * step without a rule.
     */
    static long bestStep(RunCurves r, String select) {
        List<double[]> s = select == null ? List.of() : r.series(select).stream().filter(p -> p[0] > 0).toList();
        if (s.isEmpty()) {
            List<double[]> any = r.series("step");
            return any.isEmpty() ? 0 : (long) any.get(any.size() - 1)[0];
        }
        boolean higher = higherIsBetter(select);
        double[] best = s.get(0);
        for (double[] p : s) {
            if (higher ? p[1] > best[1] : p[1] < best[1]) {
                best = p;
            }
        }
        return (long) best[0];
    }

    /** The series' value at {@code step}, or its last before it (an evaluation metric missing at that row). */
    private static double at(List<double[]> s, long step) {
        double v = s.get(0)[1];
        for (double[] p : s) {
            if (p[0] <= step) {
                v = p[1];
            }
        }
        return v;
    }

    /**
     * The teacher's side (data/teacher-metrics.json, written by the oracle lens) beside the student before distillation
     * (every run's step-0 evaluation, the same student): the headroom a method can close.
     */
    private static void headroom(ObjectNode root, Map<String, List<RunCurves>> runs, Path runDir) {
        Path f = runDir.resolve("data").resolve(LensReport.TEACHER_METRICS_FILE);
        if (!Files.exists(f)) {
            return;
        }
        JsonNode t = Json.read(f);
        ObjectNode h = root.putObject("headroom");
        h.put("teacher", t.path("teacher").asText());
        t.fields().forEachRemaining(split -> {
            if (!split.getValue().isObject()) {
                return;
            }
            ObjectNode s = h.putObject(split.getKey());
            split.getValue().fields().forEachRemaining(m -> {
                String key = split.getKey() + "_" + m.getKey();
                List<Double> student = new ArrayList<>();
                for (List<RunCurves> rs : runs.values()) {
                    for (RunCurves r : rs) {
                        List<double[]> series = r.series(key);
                        if (!series.isEmpty() && series.get(0)[0] == 0) {
                            student.add(series.get(0)[1]);
                        }
                    }
                }
                ObjectNode o = s.putObject(m.getKey());
                o.put("teacher", m.getValue().asDouble());
                if (!student.isEmpty()) {
                    o.put("student_before", Aggregate.mean(student));
                    o.put("gap", m.getValue().asDouble() - Aggregate.mean(student));
                }
            });
        });
    }

    /** Final and best values of a method minus SeqKD's, seed by seed (same seeds), with the count of seeds it wins. */
    private static void compare(ObjectNode cmp, String key, LensReport.Metric m, List<RunCurves> method, List<RunCurves> seqkd,
                                String select) {
        List<Double> finals = new ArrayList<>();
        List<Double> bests = new ArrayList<>();
        int wins = 0;
        int bestWins = 0;
        for (RunCurves g : method) {
            for (RunCurves s : seqkd) {
                List<double[]> gs = g.series(key);
                List<double[]> ss = s.series(key);
                if (s.seed() != g.seed() || gs.isEmpty() || ss.isEmpty()) {
                    continue;
                }
                double d = gs.get(gs.size() - 1)[1] - ss.get(ss.size() - 1)[1];
                finals.add(d);
                double b = at(gs, bestStep(g, select)) - at(ss, bestStep(s, select));
                bests.add(b);
                wins += m.ranked() && (m.lowerIsBetter() ? d < 0 : d > 0) ? 1 : 0;
                bestWins += m.ranked() && (m.lowerIsBetter() ? b < 0 : b > 0) ? 1 : 0;
            }
        }
        if (finals.isEmpty()) {
            return;
        }
        ObjectNode k = cmp.putObject(key);
        stat(k, "final_minus_seqkd", finals);
        stat(k, "best_minus_seqkd", bests);
        if (m.ranked()) {
            k.put("better_on_seeds", wins + "/" + finals.size());
            k.put("best_better_on_seeds", bestWins + "/" + finals.size());
        }
        k.put("better", m.direction());
    }

    static void stat(ObjectNode v, String key, List<Double> values) {
        ObjectNode s = v.putObject(key);
        s.put("mean", Aggregate.mean(values));
        s.put("std", Aggregate.std(values));
        ArrayNode a = s.putArray("values");
        values.forEach(a::add);
    }

    /** Discriminator accuracy and reward by phase, and the rollouts' shape at the start and end of each phase. */
    private static final class PhaseStats {
        static void into(ObjectNode v, List<RunCurves> runs) {
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
                            acc.computeIfAbsent(key + "_max", k -> new ArrayList<>())
                                    .add(rs.stream().mapToDouble(x -> x.path(key).asDouble()).max().orElse(Double.NaN));
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
    }
}
