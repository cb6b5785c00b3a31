package org.distill4j.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.distill4j.generate.TopLogprobs;
import org.distill4j.util.Json;

/**
 * The chunks of a streamed response, in OpenAI's shapes: {@code text_completion} objects whose choices
 * carry a text delta, or {@code chat.completion.chunk} objects whose choices carry a message delta (the
 * first one per choice announces the assistant role). Every chunk of one response shares its id and
 * creation time; a choice's {@code index} says which (prompt, sample) it belongs to, and its last chunk
 * has the {@code finish_reason}. Log-probs come per chunk, for the chunk's one token.
 */
final class StreamChunks {
    private final GenerationRequest request;
    private final ObjectNode header;
    private final boolean[] announced;

    StreamChunks(ResponseBuilder responses, GenerationRequest request) {
        this.request = request;
        this.header = responses.header(request.chat() ? "chatcmpl-" : "cmpl-",
                request.chat() ? "chat.completion.chunk" : "text_completion");
        this.announced = new boolean[request.rows()];
    }

    /** A chat choice's first chunk: the assistant role and empty content, as OpenAI sends it before any token. */
    ObjectNode role(int index) {
        announced[index] = true;
        ObjectNode root = root();
        ObjectNode c = root.withArray("choices").addObject();
        c.put("index", index);
        c.putObject("delta").put("role", "assistant").put("content", "");
        c.putNull("logprobs");
        c.putNull("finish_reason");
        return root;
    }

    boolean announced(int index) {
        return announced[index];
    }

    ObjectNode token(Job.Delta d) {
        ObjectNode root = root();
        ObjectNode c = root.withArray("choices").addObject();
        c.put("index", d.index());
        if (request.chat()) {
            c.putObject("delta").put("content", d.text());
            if (request.logprobs() == null) {
                c.putNull("logprobs");
            } else {
                ObjectNode e = ResponseBuilder.tokenEntry(c.putObject("logprobs").putArray("content").addObject(),
                        d.piece(), d.token(), d.logprob());
                ArrayNode alternatives = e.putArray("top_logprobs");
                TopLogprobs t = d.top();
                for (int m = 0; t != null && m < t.size(); m++) {
                    ResponseBuilder.tokenEntry(alternatives.addObject(), d.topTexts()[m], t.ids()[m], t.logprobs()[m]);
                }
            }
        } else {
            c.put("text", d.text());
            if (request.logprobs() == null) {
                c.putNull("logprobs");
            } else {
                c.set("logprobs", completionLogprobs(d));
            }
        }
        if (d.finish() == null) {
            c.putNull("finish_reason");
        } else {
            c.put("finish_reason", ResponseBuilder.finishReason(d.finish()));
        }
        return root;
    }

    /** The last chunk with stream_options.include_usage: no choices, the whole response's usage. */
    ObjectNode usage(long promptTokens, long completionTokens) {
        ObjectNode root = header.deepCopy();
        root.putArray("choices");
        ResponseBuilder.usage(root, promptTokens, completionTokens);
        return root;
    }

    private ObjectNode completionLogprobs(Job.Delta d) {
        ObjectNode lp = Json.object();
        lp.putArray("tokens").add(d.piece());
        lp.putArray("token_logprobs").add(d.logprob());
        ObjectNode byText = lp.putArray("top_logprobs").addObject();
        lp.putArray("text_offset").add(d.offset());
        lp.putArray("token_ids").add(d.token());
        ArrayNode ids = lp.putArray("top_token_ids").addArray();
        ArrayNode values = lp.putArray("top_token_logprobs").addArray();
        TopLogprobs t = d.top();
        for (int m = 0; t != null && m < t.size(); m++) {
            String text = d.topTexts()[m];
            if (!byText.has(text)) { // two ids with one text: keep the likelier (listed first), as non-streamed
                byText.put(text, t.logprobs()[m]);
            }
            ids.add(t.ids()[m]);
            values.add(t.logprobs()[m]);
        }
        return lp;
    }

    private ObjectNode root() {
        ObjectNode root = header.deepCopy();
        root.putArray("choices");
        if (request.streamUsage()) {
            root.putNull("usage");
        }
        return root;
    }
}
