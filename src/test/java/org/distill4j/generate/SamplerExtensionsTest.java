package org.distill4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.Test;

/** Top-k log-probs per step, and per-prompt seeds (what the HTTP server's batching relies on). */
class SamplerExtensionsTest {
    @Test
    void topLogprobsAreTheStepsLogSoftmaxTopK() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m)) {
            long[] prompt = {1, 9, 4, 22};
            SamplingParams p = new SamplingParams(0.9, 0, 0.95, 5, 2, 11, Set.of(), List.of(), 4);
            List<Sample> samples = new Sampler(model, null, 64).generate(List.of(prompt), p);
            for (Sample s : samples) {
                assertThat(s.top()).hasSize(s.tokens().length);
                long[] seq = Arrays.copyOf(prompt, prompt.length + s.tokens().length);
                System.arraycopy(s.tokens(), 0, seq, prompt.length, s.tokens().length);
                float[] logp = model.forward(m.create(seq, new Shape(1, seq.length)), null, null, null)
                        .logSoftmax(-1).toFloatArray();
                int v = model.config().vocabSize();
                for (int j = 0; j < s.tokens().length; j++) {
                    int row = (prompt.length - 1 + j) * v;
                    float[] dist = Arrays.copyOfRange(logp, row, row + v);
                    TopLogprobs top = s.top().get(j);
                    assertThat(top.size()).isEqualTo(4);
                    float[] sorted = dist.clone();
                    Arrays.sort(sorted);
                    for (int k = 0; k < 4; k++) {
                        assertThat(top.logprobs()[k]).isCloseTo(sorted[v - 1 - k], within(1e-4f));
                        assertThat(dist[(int) top.ids()[k]]).isCloseTo(top.logprobs()[k], within(1e-4f));
                    }
                    assertThat(s.logprobs()[j]).isCloseTo(dist[(int) s.tokens()[j]], within(1e-4f));
                }
            }
            // off by default: no top lists
            assertThat(new Sampler(model, null).generate(List.of(prompt), p.withTopLogprobs(0)).get(0).top()).isEmpty();
        }
    }

    @Test
    void perPromptSeedsMakeSamplesIndependentOfBatchMates() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m)) {
            SamplingParams p = SamplingParams.of(1.0, 8, 0, Set.of()).withN(2);
            long[] mine = {1, 5, 6};
            List<Sample> alone = new Sampler(model, null).generate(List.of(mine), new long[] {42}, p);
            List<Sample> crowded = new Sampler(model, null).generate(
                    List.of(new long[] {1, 30, 31, 32, 33}, mine, new long[] {1}), new long[] {7, 42, 9}, p);
            assertThat(crowded).hasSize(6);
            for (int s = 0; s < 2; s++) {
                assertThat(crowded.get(2 + s).tokens()).containsExactly(alone.get(s).tokens());
            }
        }
    }
}
