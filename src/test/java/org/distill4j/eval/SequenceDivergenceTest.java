package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.Test;

/** The cached reference distributions and the shared forward give the same KLs as the direct computation. */
class SequenceDivergenceTest {
    private static final SamplingParams SAMPLING = SamplingParams.of(1.0, 10, 5, Set.of(2));

    private static List<long[]> prompts(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long[] p = new long[2 + rng.nextInt(4)];
            p[0] = 1;
            for (int j = 1; j < p.length; j++) {
                p[j] = 3 + rng.nextInt(40);
            }
            out.add(p);
        }
        return out;
    }

    private static Transformer model(NDManager m, int vocab, int hidden, long seed) {
        return Transformer.random(ModelConfig.llama(vocab, hidden, 2 * hidden, 1, 4, 2, 64, true, 1, 2, 0), m, seed);
    }

    private static List<long[]> samples(Transformer t, List<long[]> prompts) {
        List<long[]> out = new ArrayList<>();
        for (Sample s : new Sampler(t, null).generate(prompts, SAMPLING)) {
            out.add(s.tokens());
        }
        return out;
    }

    @Test
    void cachedReferenceEqualsDirectSumKl() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer p = model(m, 48, 32, 1);
             Transformer q1 = model(m, 48, 16, 2);
             Transformer q2 = model(m, 56, 16, 3)) { // padded vocabulary: compared on the common 48 ids
            List<long[]> x = prompts(11, 7);
            List<long[]> y = samples(p, x);
            try (SequenceDivergence.Reference cached = new SequenceDivergence.Reference(p, x, y, 4, Long.MAX_VALUE);
                 SequenceDivergence.Reference uncached = new SequenceDivergence.Reference(p, x, y, 4, 0)) {
                assertThat(cached.caches(48)).isTrue();
                assertThat(uncached.caches(48)).isFalse();
                for (Transformer q : List.of(q1, q2, q1)) {
                    double[] direct = SequenceDivergence.sumKl(p, q, x, y, 4);
                    double[] viaCache = cached.sumKlTo(q);
                    double[] viaFallback = uncached.sumKlTo(q);
                    for (int i = 0; i < direct.length; i++) {
                        assertThat(direct[i]).isGreaterThan(0);
                        assertThat(viaCache[i]).isCloseTo(direct[i], within(1e-4 * (1 + direct[i])));
                        assertThat(viaFallback[i]).isEqualTo(direct[i]);
                    }
                }
            }
        }
    }

    @Test
    void oneForwardOfPServesSeveralQ() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer p = model(m, 48, 16, 4);
             Transformer q1 = model(m, 48, 32, 5);
             Transformer q2 = model(m, 56, 16, 6)) {
            List<long[]> x = prompts(9, 8);
            List<long[]> y = samples(p, x);
            List<double[]> both = SequenceDivergence.sumKl(p, List.of(q1, q2), x, y, 4);
            assertThat(both.get(0)).containsExactly(SequenceDivergence.sumKl(p, q1, x, y, 4));
            assertThat(both.get(1)).containsExactly(SequenceDivergence.sumKl(p, q2, x, y, 4));
        }
    }

    @Test
    void evaluatorWithSharedSamplesEqualsTheOneThatDrawsThem() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer oracle = model(m, 48, 32, 7);
             Transformer teacher = model(m, 48, 24, 8);
             Transformer student = model(m, 48, 16, 9)) {
            List<long[]> x = prompts(6, 9);
            SamplingParams params = SAMPLING.withSeed(100);
            ProxyGoldenEvaluator.Samples shared = ProxyGoldenEvaluator.Samples.draw(oracle, teacher, x, params, 2);
            assertThat(shared.prompts()).hasSize(12);
            try (ProxyGoldenEvaluator a = new ProxyGoldenEvaluator(oracle, teacher, x, params, 2, 64);
                 ProxyGoldenEvaluator b = new ProxyGoldenEvaluator(oracle, teacher, shared, params.withSeed(103), 64, 0)) {
                Map<String, Double> ea = a.evaluate(student);
                Map<String, Double> eb = b.evaluate(student);
                assertThat(ea.keySet()).containsExactlyElementsOf(eb.keySet()).contains("golden_fkl", "proxy_rkl_tok_se");
                ea.forEach((k, v) -> assertThat(eb.get(k)).as(k).isCloseTo(v, within(1e-4 * (1 + Math.abs(v)))));
            }
        }
    }
}
