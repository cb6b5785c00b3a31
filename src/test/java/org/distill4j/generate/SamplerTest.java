package org.distill4j.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static List<long[]> prompts() {
        List<long[]> p = new ArrayList<>();
        p.add(new long[] {1, 5, 9});
        p.add(new long[] {1, 12, 40, 7, 33, 8, 21});
        p.add(new long[] {1});
        p.add(new long[] {1, 60, 61, 62, 63});
        return p;
    }

    @Test
    void batchedGreedyEqualsOnePromptAtATime() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/qwen2_bias"), m)) {
            SamplingParams greedy = SamplingParams.of(0, 12, 0, Set.of());
            List<Sample> batched = new Sampler(model, null, 64).generate(prompts(), greedy);
            for (int i = 0; i < prompts().size(); i++) {
                List<Sample> alone = new Sampler(model, null, 64).generate(List.of(prompts().get(i)), greedy);
                assertThat(batched.get(i).tokens()).as("prompt %d", i).containsExactly(alone.get(0).tokens());
                assertThat(batched.get(i).logprobs()).containsExactly(alone.get(0).logprobs(),
                        org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }

    @Test
    void samplesDoNotDependOnBatching() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m)) {
            SamplingParams p = SamplingParams.of(1.0, 10, 42, Set.of()).withN(3);
            List<Sample> big = new Sampler(model, null, 64).generate(prompts(), p);
            List<Sample> small = new Sampler(model, null, 2).generate(prompts(), p);
            assertThat(big).hasSize(12);
            for (int i = 0; i < big.size(); i++) {
                assertThat(big.get(i).tokens()).containsExactly(small.get(i).tokens());
            }
            // different seeds give different samples
            List<Sample> other = new Sampler(model, null, 64).generate(prompts(), p.withSeed(43));
            assertThat(other.stream().map(s -> java.util.Arrays.toString(s.tokens())).toList())
                    .isNotEqualTo(big.stream().map(s -> java.util.Arrays.toString(s.tokens())).toList());
        }
    }

    @Test
    void eosEndsASampleAndIsKept() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m)) {
            // greedy continuation of a prompt: make its 3rd token the EOS and check we stop there
            List<Sample> free = new Sampler(model, null).generate(List.of(new long[] {1, 5}), SamplingParams.of(0, 8, 0, Set.of()));
            int eos = (int) free.get(0).tokens()[2];
            List<Sample> stopped = new Sampler(model, null).generate(List.of(new long[] {1, 5}), SamplingParams.of(0, 8, 0, Set.of(eos)));
            long[] t = stopped.get(0).tokens();
            assertThat(t[t.length - 1]).isEqualTo(eos);
            assertThat(stopped.get(0).finish()).isEqualTo(Sample.Finish.EOS);
            assertThat(t.length).isLessThanOrEqualTo(3);
            assertThat(free.get(0).finish()).isEqualTo(Sample.Finish.LENGTH);
        }
    }

    /** At temperature 1 the next-token frequencies match the model's softmax (chi-square, df = V - 1). */
    @Test
    void temperatureOneSamplingIsUnbiased() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/llama_untied"), m)) {
            long[] prompt = {1, 17, 4};
            float[] logits = model.forward(m.create(prompt, new Shape(1, 3)), null, null, null)
                    .get("0, -1, :").toFloatArray();
            int v = logits.length;
            int draws = 20000;
            List<Sample> s = new Sampler(model, null, 4000).generate(List.of(prompt),
                    SamplingParams.of(1.0, 1, 7, Set.of()).withN(draws));
            double[] p = TokenSampler.distribution(logits, SamplingParams.of(1.0, 1, 0, Set.of()));
            int[] counts = new int[v];
            for (Sample x : s) {
                counts[(int) x.tokens()[0]]++;
                // the reported log-prob is the model's
                assertThat((double) x.logprobs()[0]).isCloseTo(Math.log(p[(int) x.tokens()[0]]), org.assertj.core.data.Offset.offset(1e-4));
            }
            assertThat(ChiSquare.pValue(counts, p)).isGreaterThan(0.001);
        }
    }
}
