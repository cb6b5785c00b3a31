package org.distill4j.generate;

import java.util.List;
import java.util.Set;

/**
 * How to sample continuations.
 *
 * @param temperature  0 means greedy (argmax); otherwise logits are divided by it
 * @param topK         keep the k most likely tokens (0 = all)
 * @param topP         keep the smallest set whose probability reaches p (1 = all), after top-k
 * @param maxNewTokens hard cap on generated tokens per sample
 * @param n            samples per prompt
 * @param seed         every (prompt, sample) pair draws from its own stream derived from this seed,
 *                     so results do not depend on batching
 * @param eosIds       tokens that end a sample (kept as its last token)
 * @param stop         strings that end a sample; the text is cut before the first one
 * @param topLogprobs  k > 0: every sample also carries, per generated token, the k most likely tokens of
 *                     that step with their untempered log-probs ({@link Sample#top()}); 0 = off
 */
public record SamplingParams(double temperature, int topK, double topP, int maxNewTokens, int n, long seed,
                             Set<Integer> eosIds, List<String> stop, int topLogprobs) {
    public SamplingParams {
        if (temperature < 0 || Double.isNaN(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens must be >= 1, got " + maxNewTokens);
        }
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        if (topLogprobs < 0) {
            throw new IllegalArgumentException("top logprobs must be >= 0, got " + topLogprobs);
        }
        eosIds = Set.copyOf(eosIds);
        stop = List.copyOf(stop);
    }

    /** Settings without top-k log-probs. */
    public SamplingParams(double temperature, int topK, double topP, int maxNewTokens, int n, long seed,
                          Set<Integer> eosIds, List<String> stop) {
        this(temperature, topK, topP, maxNewTokens, n, seed, eosIds, stop, 0);
    }

    public static SamplingParams of(double temperature, int maxNewTokens, long seed, Set<Integer> eosIds) {
        return new SamplingParams(temperature, 0, 1.0, maxNewTokens, 1, seed, eosIds, List.of());
    }

    public SamplingParams withN(int newN) {
        return new SamplingParams(temperature, topK, topP, maxNewTokens, newN, seed, eosIds, stop, topLogprobs);
    }

    public SamplingParams withSeed(long newSeed) {
        return new SamplingParams(temperature, topK, topP, maxNewTokens, n, newSeed, eosIds, stop, topLogprobs);
    }

    public SamplingParams withTopLogprobs(int k) {
        return new SamplingParams(temperature, topK, topP, maxNewTokens, n, seed, eosIds, stop, k);
    }
}
