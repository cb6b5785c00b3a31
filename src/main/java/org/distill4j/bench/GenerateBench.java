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

    /** Generated tokens per second (best of {@code reps} timed runs after one warm-up). */
    public static double tokensPerSecond(NDManager parent, BenchShape shape, int reps) {
        try (Transformer model = Transformer.random(shape.config(), parent, 0)) {
            List<long[]> prompts = randomPrompts(PROMPTS, PROMPT_LEN, shape.vocab());
            // no EOS: every row generates exactly NEW_TOKENS, as the peer's min_new_tokens forces
            SamplingParams params = SamplingParams.of(1.0, NEW_TOKENS, 0, Set.of());
            Sampler sampler = new Sampler(model, null, PROMPTS);
            sampler.generate(prompts, params);
            double best = Double.MAX_VALUE;
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                sampler.generate(prompts, params.withSeed(r + 1));
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            return PROMPTS * NEW_TOKENS / best;
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
