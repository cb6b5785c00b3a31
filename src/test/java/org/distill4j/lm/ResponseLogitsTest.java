package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Batched response scoring equals the log-softmax of a single-row full forward at the right positions. */
class ResponseLogitsTest {
    @Test
    void batchedScoringMatchesFullForwardPerRow() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/qwen2_bias"), m)) {
            List<long[]> prompts = List.of(new long[] {1, 4, 9}, new long[] {1, 30});
            List<long[]> responses = List.of(new long[] {7, 8}, new long[] {11, 12, 13, 2});
            float[] batched = LanguageModel.responseLogProbs(model, m, prompts, responses).toFloatArray();
            int r = 4;
            int v = model.config().vocabSize();
            for (int i = 0; i < 2; i++) {
                long[] p = prompts.get(i);
                long[] y = responses.get(i);
                long[] row = new long[p.length + y.length];
                System.arraycopy(p, 0, row, 0, p.length);
                System.arraycopy(y, 0, row, p.length, y.length);
                float[] logp = model.forward(m.create(row, new Shape(1, row.length)), null, null, null)
                        .logSoftmax(2).toFloatArray();
                for (int j = 0; j < r; j++) {
                    float want = j < y.length ? logp[(p.length - 1 + j) * v + (int) y[j]] : 0f;
                    assertThat(batched[i * r + j]).as("row %d token %d", i, j).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5f));
                }
            }
        }
    }
}
