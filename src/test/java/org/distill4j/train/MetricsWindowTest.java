package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Set;
import org.distill4j.util.Json;
import org.junit.jupiter.api.Test;

/** The window survives a checkpoint's JSON bit for bit, so a resumed run's next row equals an uninterrupted one's. */
class MetricsWindowTest {
    @Test
    void savedAndReadBackItGivesTheSameMeans() throws Exception {
        MetricsWindow w = new MetricsWindow();
        w.addAll(Map.of("train_loss", 0.1 + 0.2, "grad_norm", Math.PI / 3));
        w.add("train_loss", 1.0 / 3.0);
        w.add("rare", Double.MIN_NORMAL * 3);
        String saved = Json.MAPPER.writeValueAsString(w.toJson());
        MetricsWindow back = MetricsWindow.fromJson(Json.MAPPER.readTree(saved));
        for (String k : new String[] {"train_loss", "grad_norm", "rare"}) {
            assertThat(back.sum(k)).as(k).isEqualTo(w.sum(k));
            assertThat(back.count(k)).as(k).isEqualTo(w.count(k));
        }
        ObjectNode a = Json.object();
        ObjectNode b = Json.object();
        w.meansInto(a, Set.of());
        back.meansInto(b, Set.of());
        assertThat(b.toString()).isEqualTo(a.toString());
        assertThat(back.mean("train_loss")).isEqualTo((0.1 + 0.2 + 1.0 / 3.0) / 2);
    }

    @Test
    void aCheckpointWithoutAWindowGivesAnEmptyOne() {
        assertThat(MetricsWindow.fromJson(null).count("train_loss")).isZero();
        assertThat(MetricsWindow.fromJson(Json.object()).mean("x")).isNaN();
    }
}
