package org.distill4j.serve;

import java.util.List;

/**
 * A validated completion or chat request, in tokens.
 *
 * @param chat        answer in the chat.completion shape
 * @param promptIds   token ids of every prompt (a completion request may carry several)
 * @param promptTexts the prompts as text, for echo
 * @param n           samples per prompt
 * @param key         sampling settings (maxTokens 0: score only, no sampling)
 * @param rowSeeds    one seed per (prompt, sample) row, prompt-major
 * @param logprobs    null: no log-probs; k >= 0: chosen-token log-probs and the top k
 * @param echo        return the prompt (and, with logprobs, its tokens' log-probs) before the completion
 * @param stream      answer as server-sent events, a chunk per decoding step
 * @param streamUsage with stream: end with a chunk that carries the usage (stream_options.include_usage)
 */
record GenerationRequest(boolean chat, List<long[]> promptIds, List<String> promptTexts, int n, SamplingKey key,
                         long[] rowSeeds, Integer logprobs, boolean echo, boolean stream, boolean streamUsage) {
    GenerationRequest {
        promptIds = List.copyOf(promptIds);
        promptTexts = List.copyOf(promptTexts);
        if (rowSeeds.length != promptIds.size() * n) {
            throw new IllegalArgumentException(rowSeeds.length + " seeds for " + promptIds.size() + " x " + n + " rows");
        }
    }

    int rows() {
        return promptIds.size() * n;
    }

    boolean samples() {
        return key.maxTokens() > 0;
    }

    int topLogprobs() {
        return logprobs == null ? 0 : logprobs;
    }
}
