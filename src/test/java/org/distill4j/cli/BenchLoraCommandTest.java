package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.ModelConfig;
import org.distill4j.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench lora} on a tiny model: both modes run in children, and the trainable parameters are LoRA's closed form. */
class BenchLoraCommandTest {
    @TempDir
    Path tmp;

    @Test
    void fullAndLoraRowsWithTheAdaptersParameterCount() throws Exception {
        Path config = Fixtures.path("families/qwen2/config.json");
        CliErrorsTest.Result r = CliErrorsTest.run("bench", "lora", "--name", "tiny", "--model-config", config.toString(),
                "--checkpoint", tmp.resolve("ckpt").toString(), "--train-batch", "2", "--train-seq", "8", "--train-steps", "1",
                "--lora-r", "2", "--lora-target", "q_proj,v_proj");
        assertThat(r.code()).as(r.err()).isZero();
        List<JsonNode> rows = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            if (line.startsWith("{")) {
                rows.add(Json.MAPPER.readTree(line));
            }
        }
        ModelConfig c = ModelConfig.read(config);
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        long h = c.hiddenSize();
        long expected = c.numHiddenLayers() * 2L * ((h + q) + (h + kv)); // r·(in + out) per adapted module, r = 2
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("mode").asText()).isEqualTo("full");
        assertThat(rows.get(0).get("trainable_params").asLong()).isEqualTo(c.parameterCount());
        assertThat(rows.get(1).get("mode").asText()).isEqualTo("lora r=2");
        assertThat(rows.get(1).get("trainable_params").asLong()).isEqualTo(expected);
        assertThat(rows.get(1).get("total_params").asLong()).isEqualTo(c.parameterCount());
        for (JsonNode row : rows) {
            assertThat(row.get("peak_rss_mb").asDouble()).isGreaterThan(0);
            assertThat(row.get("step_seconds").asDouble()).isGreaterThan(0);
        }
        assertThat(r.out()).contains("| lora r=2 | " + String.format("%,d", expected));
    }

    @Test
    void aModeAboveTheRssLimitIsKilledWithOneLine() {
        Path config = Fixtures.path("families/qwen2/config.json");
        CliErrorsTest.Result r = CliErrorsTest.run("bench", "lora", "--name", "tiny", "--model-config", config.toString(),
                "--checkpoint", tmp.resolve("ckpt").toString(), "--train-steps", "1", "--lora-r", "2", "--max-rss-gb", "0.03");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("the full run passed --max-rss-gb").doesNotContain("\tat ");
    }
}
