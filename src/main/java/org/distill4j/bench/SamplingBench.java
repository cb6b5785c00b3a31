package org.distill4j.bench;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Transformer;

/**
 * Sampling workloads where how rows share the batch matters, run with the sampler's batching and with the algorithm
 * before it ({@link Sampler.Batching#STATIC_UNSHARED}: fixed batches whose finished rows ride along, every row prefilled
 * on its own) on the same model, prompts and seeds.
 */
public final class SamplingBench {
    /**
     * @param eosPerVocab a fraction of the vocabulary made end-of-sequence tokens (0: none), so that a random model's
     *                    responses end after a geometric number of tokens, capped at {@code newTokens}
     */
    public record Workload(String name, int prompts, int promptLength, int n, int newTokens, int maxBatch, double eosPerVocab) {
        /** GAD-like: a few long prompts, n samples of each. */
        public static final Workload SHARED_PROMPT = new Workload("shared-prompt", 8, 512, 8, 64, 64, 0);
        /** Responses whose lengths vary widely (mean about 64 tokens, up to 256), more rows than the batch holds. */
        public static final Workload VARIED_LENGTH = new Workload("varied-length", 128, 16, 1, 256, 32, 1.0 / 64);

        public static Workload byName(String name) {
            return switch (name) {
                case "shared-prompt" -> SHARED_PROMPT;
                case "varied-length" -> VARIED_LENGTH;
                default -> throw new org.distill4j.util.UserError("unknown sampling workload '" + name
                        + "' (shared-prompt, varied-length)");
            };
        }
    }

    /** One timed run: seconds, tokens generated and the response lengths' spread. */
    public record Run(double seconds, long tokens, int minLength, int medianLength, int maxLength) {
        public double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    private final Transformer model;
    private final List<long[]> prompts;
    private final SamplingParams params;
    private final Workload workload;

    private SamplingBench(Transformer model, List<long[]> prompts, SamplingParams params, Workload workload) {
        this.model = model;
        this.prompts = prompts;
        this.params = params;
        this.workload = workload;
    }

    /** Runs {@code body} with the workload's random model (seed 0) and prompts. */
    public static <T> T with(NDManager parent, BenchShape shape, Workload w, java.util.function.Function<SamplingBench, T> body) {
        ModelConfig config = shape.config(shape.vocab(), w.promptLength() + w.newTokens());
        try (Transformer model = Transformer.random(config, parent, 0)) {
            List<long[]> prompts = GenerateBench.randomPrompts(w.prompts(), w.promptLength(), shape.vocab());
            Set<Integer> eos = new HashSet<>();
            for (int id = 0; eos.size() < Math.round(w.eosPerVocab() * shape.vocab()); id++) {
                eos.add(id * 7 % shape.vocab()); // spread over the vocabulary
            }
            SamplingParams params = new SamplingParams(1.0, 0, 1.0, w.newTokens(), w.n(), 1, eos, List.of());
            return body.apply(new SamplingBench(model, prompts, params, w));
        }
    }

    /** One run with {@code batching}, drawing with {@code seed}. */
    public Run run(Sampler.Batching batching, long seed) {
        Sampler sampler = new Sampler(model, null, workload.maxBatch(), batching);
        long t0 = System.nanoTime();
        List<Sample> samples = sampler.generate(prompts, params.withSeed(seed));
        double seconds = (System.nanoTime() - t0) / 1e9;
        int[] lengths = samples.stream().mapToInt(s -> s.tokens().length).sorted().toArray();
        return new Run(seconds, Arrays.stream(lengths).asLongStream().sum(), lengths[0], lengths[lengths.length / 2],
                lengths[lengths.length - 1]);
    }
}
