package org.distill4j.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * One paid-for response, as journalled.
 *
 * @param prompt       index of the prompt (0-based, in input order)
 * @param sample       which of its n samples
 * @param requestId    the client's id for the HTTP request (sent as X-Request-Id; one id for all its attempts)
 * @param responseId   the server's "id" of the response (null if it sent none)
 * @param response     the generated text
 * @param finishReason "stop", "length", ... as the server said (null if it did not)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class) // a journal line: the components, nulls written
public record JournalEntry(int prompt, int sample, String requestId, String responseId, String response,
                           String finishReason) {
    public record Key(int prompt, int sample) {}

    public Key key() {
        return new Key(prompt, sample);
    }

    /** Parses a journal line; null when a required field is missing or mistyped. */
    static JournalEntry fromJson(JsonNode o) {
        JsonNode p = o.get("prompt");
        JsonNode s = o.get("sample");
        JsonNode r = o.get("response");
        if (p == null || !p.canConvertToInt() || s == null || !s.canConvertToInt() || r == null || !r.isTextual()
                || p.asInt() < 0 || s.asInt() < 0) {
            return null;
        }
        return new JournalEntry(p.asInt(), s.asInt(), o.path("request_id").asText(null),
                o.path("response_id").asText(null), r.asText(), o.path("finish_reason").asText(null));
    }
}
