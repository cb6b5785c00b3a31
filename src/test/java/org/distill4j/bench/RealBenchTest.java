package org.distill4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Safetensors;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench real on a tiny qwen3: the random BF16 checkpoint it writes, and every phase measured. */
class RealBenchTest {
    @TempDir
    Path tmp;

    private RealBench.Config tiny() throws Exception {
        JsonNode config = Json.MAPPER.readTree("""
                {"model_type": "qwen3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 64,
                 "tie_word_embeddings": true}""");
        return new RealBench.Config("Tiny-Qwen3", tmp.resolve("ckpt"), config, 2, 4, 3, 2, 8, 2, 0);
    }

    @Test
    void writesARandomBf16CheckpointAndMeasuresEveryPhase() throws Exception {
        RealBench.Config c = tiny();
        assertThat(RealBench.ensureCheckpoint(c)).isTrue();
        assertThat(RealBench.ensureCheckpoint(c)).as("kept on the second run").isFalse();
        try (Safetensors.Reader r = Safetensors.open(c.checkpoint().resolve(Checkpoint.WEIGHTS))) {
            assertThat(r.tensors().values()).allSatisfy(t -> assertThat(t.dtype()).isEqualTo(Safetensors.DType.BF16));
            assertThat(r.readFloats("model.norm.weight")).containsOnly(1f);
            assertThat(r.tensors()).containsKey("model.layers.1.self_attn.k_norm.weight");
        }
        assertThat(Checkpoint.readConfig(c.checkpoint())).isEqualTo(c.modelConfig());
        // written block by block from one stream: the values Transformer.random draws whole (up to BF16 rounding)
        try (Safetensors.Reader r = Safetensors.open(c.checkpoint().resolve(Checkpoint.WEIGHTS))) {
            java.util.SplittableRandom rng = new java.util.SplittableRandom(c.seed());
            for (var e : org.distill4j.lm.Transformer.parameterShapes(c.modelConfig()).entrySet()) {
                float[] want = org.distill4j.lm.InitialValues.of(c.modelConfig(), e.getKey(), e.getValue(), rng);
                float[] got = r.readFloats(e.getKey());
                for (int i = 0; i < want.length; i++) {
                    assertThat(got[i]).as(e.getKey()).isCloseTo(want[i], org.assertj.core.data.Offset.offset(Math.abs(want[i]) / 128 + 1e-30f));
                }
            }
        }
        List<RealBench.Measurement> ms = RealBench.run(c, true);
        assertThat(ms).extracting(RealBench.Measurement::phase).containsExactly("load", "generate", "train_step");
        assertThat(ms).allSatisfy(m -> {
            assertThat(m.seconds()).isPositive();
            assertThat(m.peakRssMb()).isPositive();
            assertThat(m.impl()).isEqualTo("distill4j");
        });
        assertThat(ms.get(1).tokensPerSecond()).isPositive();
        assertThat(RealBench.JSON.writeValueAsString(ms.get(0))).contains("\"peak_rss_mb\"").contains("\"tokens_per_second\"");
    }

    @Test
    void theShippedConfigsAreValid() throws Exception {
        for (String name : new String[] {"qwen2.5-0.5b", "qwen3-0.6b", "llama-3.2-1b", "smollm2-360m"}) {
            Path yaml = Path.of("configs/bench-real/" + name + ".yaml");
            JsonNode flags = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                    .readTree(yaml.toFile());
            assertThat(flags.path("model-config").asText()).isEqualTo("configs/bench-real/" + name + ".config.json");
            ModelConfig mc = ModelConfig.read(Path.of(flags.path("model-config").asText()));
            assertThat(mc.parameterCount()).as(name).isBetween(300_000_000L, 1_300_000_000L);
        }
        ModelConfig llama = ModelConfig.read(Path.of("configs/bench-real/llama-3.2-1b.config.json"));
        assertThat(llama.rope().type()).isEqualTo("llama3");
        assertThat(llama.parameterCount()).isEqualTo(1_235_814_400L); // Llama-3.2-1B's published count
        assertThat(ModelConfig.read(Path.of("configs/bench-real/qwen2.5-0.5b.config.json")).parameterCount())
                .isEqualTo(494_032_768L); // Qwen2.5-0.5B's
        assertThat(ModelConfig.read(Path.of("configs/bench-real/qwen3-0.6b.config.json")).parameterCount())
                .isEqualTo(596_049_920L); // Qwen3-0.6B's, q/k norms included
        assertThat(ModelConfig.read(Path.of("configs/bench-real/smollm2-360m.config.json")).parameterCount())
                .isEqualTo(361_821_120L);
    }

    @Test
    void nonPositiveSizesAreRejected() throws Exception {
        RealBench.Config ok = tiny();
        assertThatThrownBy(() -> new RealBench.Config("x", tmp, ok.config(), 0, 4, 3, 2, 8, 2, 0))
                .isInstanceOf(UserError.class).hasMessageContaining("--prompts");
    }
}
