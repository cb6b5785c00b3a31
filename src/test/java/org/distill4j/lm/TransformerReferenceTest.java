package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Logits of random tiny models against Hugging Face transformers (fixtures from tools/fixtures/lm_fixtures.py). */
class TransformerReferenceTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama_gqa_tied", "llama_untied", "qwen2_bias", "mistral"})
    void logitsMatchTransformers(String name) {
        Path dir = Fixtures.path("lm/" + name);
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(dir, m);
             Safetensors.Reader ref = Safetensors.open(dir.resolve("reference.safetensors"))) {
            long[] shape = ref.info("input_ids").shape();
            NDArray ids = m.create(ref.readLongs("input_ids"), new Shape(shape));
            float[] logits = model.forward(ids, null, null, null).toFloatArray();
            assertThat(Fixtures.maxAbsDiff(logits, ref.readFloats("logits"))).isLessThan(1e-4);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama_gqa_tied", "qwen2_bias"})
    void leftPaddedBatchMatchesTransformers(String name) {
        Path dir = Fixtures.path("lm/" + name);
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(dir, m);
             Safetensors.Reader ref = Safetensors.open(dir.resolve("reference.safetensors"))) {
            long[] shape = ref.info("padded_ids").shape();
            int b = (int) shape[0];
            int t = (int) shape[1];
            long[] mask = ref.readLongs("padded_mask");
            boolean[][] valid = new boolean[b][t];
            for (int i = 0; i < b * t; i++) {
                valid[i / t][i % t] = mask[i] == 1;
            }
            NDArray ids = m.create(ref.readLongs("padded_ids"), new Shape(shape));
            NDArray pos = m.create(ref.readLongs("padded_positions"), new Shape(shape));
            NDArray attn = AttentionMask.padded(m, valid, t, 0, 0);
            float[] got = model.forward(ids, pos, attn, null).toFloatArray();
            float[] want = ref.readFloats("padded_logits");
            int v = model.config().vocabSize();
            // compare only real (unpadded) query positions: transformers leaves padded rows unspecified
            double worst = 0;
            for (int i = 0; i < b * t; i++) {
                if (mask[i] == 1) {
                    for (int j = 0; j < v; j++) {
                        worst = Math.max(worst, Math.abs(got[i * v + j] - want[i * v + j]));
                    }
                }
            }
            assertThat(worst).isLessThan(1e-4);
        }
    }
}
