package org.distill4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;

/** The metrics of one distillation run (a variant at a seed), read back from its files alone. */
public record RunCurves(String variant, long seed, List<JsonNode> rows) {

    /** Every run under {@code runDir}/seed-N/VARIANT/ that has a metrics.jsonl, by variant then seed. */
    public static Map<String, List<RunCurves>> load(Path runDir) {
        Map<String, List<RunCurves>> out = new TreeMap<>();
        if (!Files.isDirectory(runDir)) {
            return out;
        }
        try (Stream<Path> seeds = Files.list(runDir)) {
            for (Path seedDir : seeds.filter(p -> p.getFileName().toString().startsWith("seed-")).sorted().toList()) {
                long seed = Long.parseLong(seedDir.getFileName().toString().substring(5));
                try (Stream<Path> variants = Files.list(seedDir)) {
                    for (Path v : variants.filter(p -> Files.exists(p.resolve("metrics.jsonl"))).sorted().toList()) {
                        List<JsonNode> rows = new ArrayList<>();
                        for (Jsonl.Line l : Jsonl.read(v.resolve("metrics.jsonl"))) {
                            rows.add(l.value());
                        }
                        out.computeIfAbsent(v.getFileName().toString(), k -> new ArrayList<>())
                                .add(new RunCurves(v.getFileName().toString(), seed, rows));
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new org.distill4j.util.UserError(runDir + ": cannot read runs: " + e.getMessage(), e);
        }
        return out;
    }

    /** (step, value, standard error, epoch) of every row that has {@code key}. */
    public List<double[]> series(String key) {
        return series(key, "step");
    }

    /** As {@link #series(String)} with another column as x (e.g. GAD's generator steps, g_step). */
    public List<double[]> series(String key, String x) {
        List<double[]> out = new ArrayList<>();
        for (JsonNode r : rows) {
            if (r.has(key) && r.has(x)) {
                out.add(new double[] {r.get(x).asDouble(), r.get(key).asDouble(), r.path(key + "_se").asDouble(0),
                        r.path("epoch").asDouble()});
            }
        }
        return out;
    }

    /** The variant.json written beside the metrics, if any. */
    public static JsonNode meta(Path runDir, String variant, long seed) {
        Path f = runDir.resolve("seed-" + seed).resolve(variant).resolve("variant.json");
        return Files.exists(f) ? Json.read(f) : Json.object();
    }
}
