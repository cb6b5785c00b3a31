package org.distill4j.bench;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Transformer;

/** pytorch_peer.py's generate workload: 64 prompts of 16 random tokens, 64 new tokens each, temperature 1. */
public final class GenerateBench {
    public static final int PROMPTS = 64;
    public static final int PROMPT_LEN = 16;
    public static final int NEW_TOKENS = 64;

    private GenerateBench() {}

    /**
     * Warm-up before timing. The JVM's compilers take several generations of the small shape to settle: after two
     * warm-up generations, 40 more ran their first six at 4,900–8,392 tok/s and the other 34 at 8,534–11,684 (Intel
     * Xeon, 2026-12-05).
     */
    static final long WARMUP_NANOS = 6_000_000_000L;

    /** A random model of the shape with its sampler, warmed up: times one generation at a time. */
    public static final class Run implements AutoCloseable {
        private final Transformer model;
        private final Sampler sampler;
        private final List<long[]> prompts;
        // no EOS: every row generates exactly NEW_TOKENS, as the peer's min_new_tokens forces
        private final SamplingParams params = SamplingParams.of(1.0, NEW_TOKENS, 0, Set.of());

        public Run(NDManager parent, BenchShape shape) {
            model = Transformer.random(shape.config(), parent, 0);
            prompts = randomPrompts(PROMPTS, PROMPT_LEN, shape.vocab());
            sampler = new Sampler(model, null, PROMPTS);
            long start = System.nanoTime();
            for (int n = 0; n < 2 || System.nanoTime() - start < WARMUP_NANOS; n++) {
                sampler.generate(prompts, params);
            }
        }

        /** Seconds one generation of every prompt takes, sampled with {@code seed}. */
        public double seconds(long seed) {
            long t0 = System.nanoTime();
            sampler.generate(prompts, params.withSeed(seed));
            return (System.nanoTime() - t0) / 1e9;
        }

        @Override
        public void close() {
            model.close();
        }
    }

    /** {@code count} prompts of {@code length} uniform token ids below {@code vocab}, from seed 0: the benches' prompts. */
    static List<long[]> randomPrompts(int count, int length, int vocab) {
        SplittableRandom rng = new SplittableRandom(0);
        List<long[]> prompts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long[] p = new long[length];
            for (int j = 0; j < length; j++) {
                p[j] = rng.nextInt(vocab);
            }
            prompts.add(p);
        }
        return prompts;
    }
}
