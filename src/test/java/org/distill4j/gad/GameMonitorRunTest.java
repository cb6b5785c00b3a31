package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.LanguageModel;
import org.distill4j.train.Trainer;
import org.distill4j.util.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The game monitor on real runs. The rows of fixtures/gad/monitor/ are the metrics of the default oracle lens's frozen-d
 * and gad runs at seed 1 ({@code ./distill experiment oracle-lens --lab LAB}, LAB the quick lab of
 * {@code experiment oracle-lens --quick}; the columns the monitor reads, verbatim): the monitor saw exactly these rows
 * during those runs, one by one. Same recipe and seed; the only difference is whether the discriminator keeps learning.
 * And a monitor that fires in stop mode stops a real run.
 */
class GameMonitorRunTest {
    @TempDir
    Path tmp;

    private static List<JsonNode> rows(String name) {
        List<JsonNode> out = new ArrayList<>();
        Jsonl.read(Fixtures.path("gad/monitor/" + name)).forEach(l -> out.add(l.value()));
        return out;
    }

    private static GameMonitor replayLive(List<JsonNode> rows) {
        GameMonitor m = new GameMonitor(GameMonitor.Thresholds.defaults(), false);
        rows.forEach(m::test);
        return m;
    }

    @Test
    void aFrozenDiscriminatorRunFires() {
        List<JsonNode> rows = rows("frozen-d-metrics.jsonl");
        GameMonitor m = replayLive(rows);
        assertThat(m.alarms()).isNotEmpty();
        // it fires during the GRPO phase against the frozen discriminator, not before
        long firstGrpo = rows.stream().filter(r -> r.has("pg_loss")).mapToLong(r -> r.get("step").asLong()).min().orElseThrow();
        assertThat(m.alarms().get(0).step()).isGreaterThanOrEqualTo(firstGrpo + GameMonitor.Thresholds.defaults().window() - 1);
    }

    @Test
    void aBalancedGadRunIsSilent() {
        GameMonitor m = replayLive(rows("gad-metrics.jsonl"));
        assertThat(m.alarms()).isEmpty();
        assertThat(m.warmupDAcc()).isBetween(0.0, 1.0);
    }

    @Test
    void stopModeStopsARealRunAndSavesItsStudent() throws Exception {
        Path s = TinyStudent.write(tmp.resolve("student"), 1);
        GadConfig cfg = GadConfig.of(GadMethod.GAD.phases(3, 1, 5, 0)).promptsPerStep(4).samples(2).maxNewTokens(6).generatorLr(1e-3)
                .evalEvery(0).saveEvery(0).seed(3).build();
        // thresholds no run can pass (d_acc is always <= 1.5): the monitor fires at the first full window of GRPO rows
        GameMonitor monitor = new GameMonitor(new GameMonitor.Thresholds(2, 1.5, 2.0, 1.5, 0.1, 0.6), true);
        Path out = tmp.resolve("run");
        Trainer.Result r;
        try (LanguageModel g = LanguageModel.load(s);
             NDManager m = NDManager.newBaseManager();
             Discriminator d = Discriminator.fromStudent(s, m, cfg.seed())) {
            GadStep step = new GadStep(g.transformer(), d, cfg, TinyStudent.examples(TinyStudent.promptTexts(16, 1)),
                    Map.of(Checkpoint.TOKENIZER, s.resolve(Checkpoint.TOKENIZER)), g.eosIds());
            r = new Trainer(out, cfg.loop()).onRow(monitor::test).run(step, false);
        }
        assertThat(r.stoppedEarly()).isTrue();
        assertThat(r.steps()).isEqualTo(5); // 3 warmup steps, then 2 GRPO rows fill the window
        assertThat(monitor.alarms()).extracting(GameMonitor.Alarm::step).containsExactly(5L);
        List<String> lines = Files.readAllLines(out.resolve(Trainer.METRICS_FILE));
        assertThat(lines).hasSize(6); // the start row and steps 1..5
        assertThat(Files.exists(out.resolve(Checkpoint.WEIGHTS))).isTrue();
    }
}
