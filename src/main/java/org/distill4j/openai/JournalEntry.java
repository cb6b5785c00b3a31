package org.distill4j.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.distill4j.util.Json;

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
public record JournalEntry(int prompt, int sample, String requestId, String responseId, String response,
                           String finishReason) {
    public record Key(int prompt, int sample) {}

    public Key key() {
        return new Key(prompt, sample);
    }

    ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("prompt", prompt);
        o.put("sample", sample);
        o.put("request_id", requestId);
        o.put("response_id", responseId);
        o.put("response", response);
        o.put("finish_reason", finishReason);
        return o;
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
