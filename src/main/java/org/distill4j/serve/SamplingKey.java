package org.distill4j.serve;

import java.util.List;
import java.util.Set;
import org.distill4j.generate.SamplingParams;

/**
 * The settings requests must share to be decoded in one sampling batch. The number of samples, the
 * seed and the top-logprobs count are not part of it: each (prompt, sample) is its own row with its own
 * seed, and top-k log-probs are computed for the largest k in the batch and cut per request.
 */
record SamplingKey(double temperature, int topK, double topP, int maxTokens, List<String> stop, Set<Integer> eosIds) {
    SamplingKey {
        stop = List.copyOf(stop);
        eosIds = Set.copyOf(eosIds);
    }

    SamplingParams params(int topLogprobs) {
        return new SamplingParams(temperature, topK, topP, maxTokens, 1, 0, eosIds, stop, topLogprobs);
    }
}
