package org.distill4j.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.gad.GameMonitor;

/**
 * The health of a GAD-family game, from its metrics rows alone: the live game monitor replayed over each run
 * (docs/gad.md, "The game monitor"), giving the discriminator's accuracy at the end of the warmup (with the count of
 * seeds below the weak-discriminator threshold) and the monitor's alarms, seed by seed. Runs without a
 * policy-gradient phase (SeqKD) have no game and get nothing.
 */
final class GameHealth {
    private GameHealth() {}

    /** Writes {@code health} into a method's summary, if any of its runs played the game. */
    static void into(ObjectNode method, List<RunCurves> runs) {
        GameMonitor.Thresholds t = GameMonitor.Thresholds.defaults();
        List<Double> warmup = new ArrayList<>();
        int weak = 0;
        ArrayNode alarms = org.distill4j.util.Json.MAPPER.createArrayNode();
        boolean anyGame = false;
        for (RunCurves r : runs) {
            GameMonitor m = new GameMonitor(t, false).replay(r.rows());
            anyGame |= r.rows().stream().anyMatch(x -> x.has("pg_loss"));
            if (!Double.isNaN(m.warmupDAcc())) {
                warmup.add(m.warmupDAcc());
                weak += m.warmupDAcc() < t.weakDiscriminator() ? 1 : 0;
            }
            for (GameMonitor.Alarm a : m.alarms()) {
                ObjectNode o = alarms.addObject();
                o.put("seed", r.seed());
                o.put("step", a.step());
                o.put("signal", a.signal());
                o.put("reason", a.reason());
            }
        }
        if (!anyGame) {
            return;
        }
        ObjectNode h = method.putObject("health");
        if (!warmup.isEmpty()) {
            ObjectNode d = h.putObject("d_acc_end_of_warmup");
            d.put("mean", Aggregate.mean(warmup));
            d.put("std", Aggregate.std(warmup));
            ArrayNode v = d.putArray("values");
            warmup.forEach(v::add);
            h.put("weak_discriminator_threshold", t.weakDiscriminator());
            h.put("weak_discriminator_seeds", weak + "/" + warmup.size());
        }
        h.put("monitor_fired_seeds", alarms.findValues("seed").stream().map(n -> n.asLong()).distinct().count() + "/" + runs.size());
        h.set("monitor_alarms", alarms);
    }

    /** One line per method for the report: warmup d_acc and what the monitor said. */
    static String html(String method, com.fasterxml.jackson.databind.JsonNode health) {
        if (health.isMissingNode()) {
            return "";
        }
        StringBuilder b = new StringBuilder("<tr><td>").append(method).append("</td>");
        com.fasterxml.jackson.databind.JsonNode d = health.path("d_acc_end_of_warmup");
        b.append(d.isMissingNode() ? "<td>–</td><td>–</td>" : String.format("<td>%.3f ± %.3f</td><td>%s</td>", d.path("mean").asDouble(),
                d.path("std").asDouble(), health.path("weak_discriminator_seeds").asText()));
        b.append("<td>").append(health.path("monitor_fired_seeds").asText()).append("</td><td style=\"text-align:left\">");
        health.path("monitor_alarms").forEach(a -> b.append(String.format("seed %d step %d: %s<br>", a.path("seed").asLong(),
                a.path("step").asLong(), a.path("reason").asText().replace("<", "&lt;"))));
        return b.append("</td></tr>").toString();
    }
}
