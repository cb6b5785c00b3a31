package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class KvCacheTest {
    @Test
    void incrementalLogitsEqualFullSequenceLogits() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m)) {
            int t = 9;
            long[] ids = new long[2 * t];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = (i * 7 + 3) % 64;
            }
            float[] full = model.forward(m.create(ids, new Shape(2, t)), null, null, null).toFloatArray();
            int v = model.config().vocabSize();
            try (KvCache cache = new KvCache(m, model.config(), 2, t)) {
                // a prefill of 4 tokens, then one token at a time
                int[] chunks = {4, 1, 1, 1, 1, 1};
                int pos = 0;
                double worst = 0;
                for (int c : chunks) {
                    long[] part = new long[2 * c];
                    for (int r = 0; r < 2; r++) {
                        System.arraycopy(ids, r * t + pos, part, r * c, c);
                    }
                    NDArray logits = model.forward(m.create(part, new Shape(2, c)), null, null, cache);
                    float[] got = logits.toFloatArray();
                    for (int r = 0; r < 2; r++) {
                        for (int i = 0; i < c; i++) {
                            for (int j = 0; j < v; j++) {
                                float want = full[(r * t + pos + i) * v + j];
                                worst = Math.max(worst, Math.abs(got[(r * c + i) * v + j] - want));
                            }
                        }
                    }
                    pos += c;
                }
                assertThat(cache.length()).isEqualTo(t);
                assertThat(worst).isLessThan(1e-4);
            }
        }
    }
}
