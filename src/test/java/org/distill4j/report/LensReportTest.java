package org.distill4j.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.experiment.LensConfig;
import org.distill4j.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The oracle-lens summary from synthetic metrics files: finals, the best checkpoint under one rule (here, without an
 * oracle judge, the lowest golden metric), and GAD − SeqKD seed by seed.
 */
class LensReportTest {
    @TempDir
    Path tmp;

    private void run(String method, long seed, double... golden) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("seed-" + seed).resolve(method));
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < golden.length; i++) {
            b.append(String.format("{\"step\":%d,\"g_step\":%d,\"phase\":\"x\",\"golden_fkl\":%s,\"eval_len\":%d,\"d_acc\":0.6}%n",
                    i * 10, i * 10, golden[i], 30 + i));
        }
        Files.writeString(dir.resolve("metrics.jsonl"), b.toString());
    }

    @Test
    void summaryHasFinalBestAndSeedBySeedComparison() throws Exception {
        Files.writeString(tmp.resolve(LensConfig.FILE), "seeds: [1, 2]\n");
        run("seqkd", 1, 8, 7, 7.5);
        run("seqkd", 2, 8, 7.2, 7.4);
        run("gad", 1, 8, 6, 7);
        run("gad", 2, 8, 6.5, 8);
        assertThat(LensReport.applies(tmp)).isTrue();
        new LensReport(tmp).write();
        JsonNode s = Json.read(tmp.resolve("summary.json"));
        JsonNode gad = s.path("methods").path("gad").path("golden_fkl");
        assertThat(gad.path("final").path("mean").asDouble()).isCloseTo(7.5, within(1e-9));
        assertThat(gad.path("best").path("mean").asDouble()).isCloseTo(6.25, within(1e-9));
        JsonNode cmp = s.path("gad_vs_seqkd").path("golden_fkl");
        assertThat(cmp.path("final_minus_seqkd").path("values").get(0).asDouble()).isCloseTo(-0.5, within(1e-9));
        // best checkpoints: gad 6 and 6.5, seqkd 7 and 7.2 (all at step 10)
        assertThat(cmp.path("best_minus_seqkd").path("values").get(1).asDouble()).isCloseTo(-0.7, within(1e-9));
        assertThat(cmp.path("better_on_seeds").asText()).isEqualTo("1/2");
        assertThat(cmp.path("best_better_on_seeds").asText()).isEqualTo("2/2");
        assertThat(s.path("best_checkpoint_rule").path("metric").asText()).isEqualTo("golden_fkl");
        assertThat(s.path("methods").path("gad").path("best_checkpoint_step").path("values").get(0).asDouble()).isEqualTo(10);
        // every metric is reported at the selected checkpoint, the unranked length too (31 at step 10)
        JsonNode len = s.path("methods").path("gad").path("eval_len");
        assertThat(len.path("best").path("mean").asDouble()).isCloseTo(31, within(1e-9));
        assertThat(len.path("better").asText()).isEqualTo("neither");
        assertThat(s.path("gad_vs_seqkd").path("eval_len").has("better_on_seeds")).isFalse();
        assertThat(Files.exists(tmp.resolve("plots").resolve("eval-golden-fkl.png"))).isTrue();
        assertThat(Files.exists(tmp.resolve("plots").resolve("train-d-acc.png"))).isTrue();
        assertThat(Files.readString(tmp.resolve("report.html"))).contains("gad_vs_seqkd").contains("data:image/png;base64,");
    }
}
