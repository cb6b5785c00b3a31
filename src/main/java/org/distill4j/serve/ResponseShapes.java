package org.distill4j.serve;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's response bodies as records, written by Jackson in component order (snake_case names). A null
 * component is written as JSON null (OpenAI sends {@code "logprobs": null}); the few fields OpenAI leaves out
 * instead are marked {@code NON_NULL}.
 */
final class ResponseShapes {
    private ResponseShapes() {}

    /** What every response and every chunk of one stream starts with. */
    record Header(String id, String object, long created, String model) {}

    /** A whole (not streamed) {@code text_completion} or {@code chat.completion}. */
    record Response(String id, String object, long created, String model, List<?> choices, Usage usage) {
        Response(Header h, List<?> choices, Usage usage) {
            this(h.id(), h.object(), h.created(), h.model(), choices, usage);
        }
    }

    /** A streamed chunk without usage (no {@code stream_options.include_usage}). */
    record Chunk(String id, String object, long created, String model, List<?> choices) {
        Chunk(Header h, List<?> choices) {
            this(h.id(), h.object(), h.created(), h.model(), choices);
        }
    }

    /** A streamed chunk when usage was asked for: null on every chunk but the last, as OpenAI sends it. */
    record UsageChunk(String id, String object, long created, String model, List<?> choices, Usage usage) {
        UsageChunk(Header h, List<?> choices, Usage usage) {
            this(h.id(), h.object(), h.created(), h.model(), choices, usage);
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Usage(long promptTokens, long completionTokens, long totalTokens) {
        static Usage of(long prompt, long completion) {
            return new Usage(prompt, completion, prompt + completion);
        }
    }

    /** A completions choice, whole or streamed (then {@code text} is the chunk's delta). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record CompletionChoice(String text, int index, CompletionLogprobs logprobs, String finishReason) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record ChatChoice(int index, Message message, ChatLogprobs logprobs, String finishReason) {}

    /** A streamed chat choice: {@code delta} in place of {@code message}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record ChunkChoice(int index, Message delta, ChatLogprobs logprobs, String finishReason) {}

    /** A message or a message delta; a delta names the role only in its choice's first chunk. */
    record Message(@JsonInclude(JsonInclude.Include.NON_NULL) String role, String content) {}

    record ChatLogprobs(List<TokenLogprob> content) {}

    /**
     * A chat log-prob entry: OpenAI's token, logprob and UTF-8 bytes, plus our token {@code id}; the sampled
     * token's entry lists its alternatives, an alternative's entry has no {@code top_logprobs}.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record TokenLogprob(String token, float logprob, int[] bytes, long id,
                        @JsonInclude(JsonInclude.Include.NON_NULL) List<TokenLogprob> topLogprobs) {
        static TokenLogprob of(String text, long id, float logprob, List<TokenLogprob> alternatives) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            int[] bytes = new int[utf8.length];
            for (int i = 0; i < utf8.length; i++) {
                bytes[i] = utf8[i] & 0xff;
            }
            return new TokenLogprob(text, logprob, bytes, id, alternatives);
        }
    }

    /**
     * Legacy completions log-probs: parallel arrays, one entry per token. {@code token_logprobs} is null for a
     * first prompt token (no context); the top-k entries are null where no top-k was computed.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record CompletionLogprobs(List<String> tokens, List<Float> tokenLogprobs, List<Map<String, Float>> topLogprobs,
                              List<Integer> textOffset, List<Long> tokenIds, List<long[]> topTokenIds,
                              List<float[]> topTokenLogprobs) {}

    /** GET /v1/models: OpenAI's list of model cards (ours has one). */
    record ModelList(String object, List<ModelCard> data) {}

    /** OpenAI's model card plus vLLM's {@code max_model_len} and the chat template in use. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record ModelCard(String id, String object, long created, String ownedBy, int maxModelLen, String chatTemplate) {}
}
