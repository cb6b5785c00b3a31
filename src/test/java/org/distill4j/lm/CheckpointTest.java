package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void saveThenLoadGivesIdenticalWeights() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer a = Checkpoint.loadTransformer(Fixtures.path("lm/qwen2_bias"), m)) {
            Path dir = tmp.resolve("ckpt");
            Checkpoint.save(dir, a, Safetensors.DType.F32, Map.of());
            // saving again over an existing checkpoint replaces it
            Checkpoint.save(dir, a, Safetensors.DType.F32, Map.of());
            try (Transformer b = Checkpoint.loadTransformer(dir, m)) {
                assertThat(b.config()).isEqualTo(a.config());
                for (var e : a.parameters().entrySet()) {
                    assertThat(b.parameters().get(e.getKey()).toFloatArray()).as(e.getKey())
                            .containsExactly(e.getValue().toFloatArray());
                }
            }
            assertThat(tmp.toFile().list()).containsExactly("ckpt");
        }
    }

    @Test
    void hubStyleGpt2NamesWithoutPrefixAndMaskBuffersLoad() throws Exception {
        // the hub's gpt2 model.safetensors names tensors "h.0.attn.c_attn.weight", "wte.weight", … and keeps the
        // causal-mask buffers "h.N.attn.bias"; transformers reads both, and so must we
        Path src = Fixtures.path("families/gpt2");
        Path dir = tmp.resolve("hub-gpt2");
        Files.createDirectories(dir);
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        Safetensors.Writer w = new Safetensors.Writer();
        try (Safetensors.Reader r = Safetensors.open(src.resolve("model.safetensors"))) {
            for (Safetensors.TensorInfo t : r.tensors().values()) {
                w.add(t.name().replaceFirst("^transformer\\.", ""), r.readFloats(t.name()), t.shape(), Safetensors.DType.F32);
            }
        }
        w.add("h.0.attn.bias", new float[4], new long[] {1, 1, 2, 2}, Safetensors.DType.F32).write(dir.resolve("model.safetensors"));
        try (NDManager m = NDManager.newBaseManager();
             Transformer a = Checkpoint.loadTransformer(src, m);
             Transformer b = Checkpoint.loadTransformer(dir, m)) {
            assertThat(b.parameters().keySet()).isEqualTo(a.parameters().keySet());
            for (var e : a.parameters().entrySet()) {
                assertThat(b.parameters().get(e.getKey()).toFloatArray()).as(e.getKey()).containsExactly(e.getValue().toFloatArray());
            }
        }
    }

    @Test
    void tokenizerWithMoreIdsThanTheModelIsRejected() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
             Transformer a = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m)) {
            Path dir = tmp.resolve("c");
            Checkpoint.save(dir, a, Safetensors.DType.F32, Map.of("tokenizer.json", Fixtures.path("lm/tokenizer/tokenizer.json")));
            assertThatThrownBy(() -> LanguageModel.load(dir)).isInstanceOf(UserError.class)
                    .hasMessageContaining("tokenizer.json").hasMessageContaining("300").hasMessageContaining("64");
        }
    }

    @Test
    void missingTensorIsNamed() throws Exception {
        Path dir = tmp.resolve("broken");
        Files.createDirectories(dir);
        Files.copy(Fixtures.path("lm/llama_untied/config.json"), dir.resolve("config.json"));
        new Safetensors.Writer().add("model.embed_tokens.weight", new float[64 * 32], new long[] {64, 32}, Safetensors.DType.F32)
                .write(dir.resolve("model.safetensors"));
        try (NDManager m = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> Checkpoint.loadTransformer(dir, m)).isInstanceOf(UserError.class)
                    .hasMessageContaining("broken").hasMessageContaining("model.layers.0");
        }
    }

    @Test
    void randomModelWithWordLevelTokenizerSavesAndScores() {
        Path tokFile = tmp.resolve("tokenizer.json");
        WordLevelTokenizer.write(tokFile, List.of("a", "b", "c", "d"));
        ModelConfig c = ModelConfig.llama(16, 16, 32, 1, 2, 1, 32, true, 1, 2, 0);
        Path dir = tmp.resolve("tiny");
        try (NDManager m = NDManager.newBaseManager(); Transformer t = Transformer.random(c, m, 5)) {
            Checkpoint.save(dir, t, Safetensors.DType.BF16, Map.of("tokenizer.json", tokFile));
        }
        try (LanguageModel lm = LanguageModel.load(dir)) {
            long[] p = lm.encodePrompt("a b");
            List<float[]> lp = lm.scoreResponses(List.of(p), List.of(new long[] {6, 7, 2}), 4);
            assertThat(lp.get(0)).hasSize(3);
            for (float x : lp.get(0)) {
                // a random model is close to uniform over 16 ids
                assertThat((double) x).isBetween(Math.log(1.0 / 16) - 0.5, Math.log(1.0 / 16) + 0.5);
            }
        }
    }
}
