package org.distill4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.util.Json;

/**
 * The values reported by the steps since the last metrics row: per name, their sum and how many steps
 * reported it. It is saved with every checkpoint and restored on resume, so that the first row after a
 * resume averages the same steps as in an uninterrupted run (a checkpoint need not fall on a row).
 * Doubles go through JSON unchanged (Jackson writes the shortest decimal that reads back to the same double).
 */
public final class MetricsWindow {
    private final Map<String, double[]> sums = new LinkedHashMap<>();

    public void add(String name, double value) {
        double[] s = sums.computeIfAbsent(name, k -> new double[2]);
        s[0] += value;
        s[1]++;
    }

    public void addAll(Map<String, Double> values) {
        values.forEach(this::add);
    }

    /** Steps that reported {@code name}. */
    public int count(String name) {
        double[] s = sums.get(name);
        return s == null ? 0 : (int) s[1];
    }

    public double sum(String name) {
        double[] s = sums.get(name);
        return s == null ? 0 : s[0];
    }

    /** The mean over the steps that reported {@code name}. */
    public double mean(String name) {
        double[] s = sums.get(name);
        return s == null ? Double.NaN : s[0] / s[1];
    }

    /** Puts the mean of every value named but not in {@code skip} into {@code row}, in first-reported order. */
    public void meansInto(ObjectNode row, java.util.Set<String> skip) {
        sums.forEach((k, s) -> {
            if (!skip.contains(k)) {
                row.put(k, s[0] / s[1]);
            }
        });
    }

    public void clear() {
        sums.clear();
    }

    /** {name: [sum, count], …} for a checkpoint's state file (a tree: the metric names are open-ended). */
    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        sums.forEach((k, s) -> o.putArray(k).add(s[0]).add(s[1]));
        return o;
    }

    /** The window saved by {@link #toJson}; empty for a missing node (a checkpoint written before windows were saved). */
    public static MetricsWindow fromJson(JsonNode node) {
        MetricsWindow w = new MetricsWindow();
        if (node != null && node.isObject()) {
            node.fields().forEachRemaining(e -> w.sums.put(e.getKey(),
                    new double[] {e.getValue().get(0).asDouble(), e.getValue().get(1).asDouble()}));
        }
        return w;
    }
}
