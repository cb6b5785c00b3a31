package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.distill4j.cli.Main;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No trainer keeps engine arrays from one step to the next: the live_arrays column (every array alive in the
 * process) is the same at every metrics row after the first, over enough steps that one array kept per step or
 * per micro-batch shows (a leak of that size grew sft's memory by 160 MB over 3,000 steps).
 */
@Tag("slow")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class LiveArraysTest {
    @TempDir
    Path tmp;

    private void check(TrainingRuns.Verb verb) {
        Path out = tmp.resolve("run");
        assertThat(Main.run(verb.args(out, 24, 100, 4).toArray(String[]::new))).isZero();
        List<Long> live = new ArrayList<>();
        for (JsonNode row : TrainingRuns.metrics(out)) {
            if (row.has("live_arrays") && row.get("step").asLong() >= 8) {
                live.add(row.get("live_arrays").asLong());
            }
        }
        assertThat(live).as("live arrays at steps 8, 12, ..., 24").hasSize(5);
        assertThat(live).as("live arrays at steps 8, 12, ..., 24").containsOnly(live.get(0));
    }

    @Test
    void sft() throws Exception {
        check(TrainingRuns.sft(tmp));
    }

    @Test
    void kd() throws Exception {
        check(TrainingRuns.kd(tmp));
    }

    @Test
    void seqkd() throws Exception {
        check(TrainingRuns.gad(tmp, true));
    }

    @Test
    void gad() throws Exception {
        check(TrainingRuns.gad(tmp, false));
    }

    @Test
    void sftWithLora() throws Exception {
        check(TrainingRuns.sftLora(tmp));
    }

    @Test
    void gadWithLora() throws Exception {
        check(TrainingRuns.withLora(TrainingRuns.gad(tmp, false)));
    }
}
