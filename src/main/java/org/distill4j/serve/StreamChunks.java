package org.distill4j.serve;

import java.util.ArrayList;
import java.util.List;
import org.distill4j.generate.TopLogprobs;
import org.distill4j.serve.ResponseShapes.ChatLogprobs;
import org.distill4j.serve.ResponseShapes.Chunk;
import org.distill4j.serve.ResponseShapes.ChunkChoice;
import org.distill4j.serve.ResponseShapes.CompletionChoice;
import org.distill4j.serve.ResponseShapes.CompletionLogprobs;
import org.distill4j.serve.ResponseShapes.Header;
import org.distill4j.serve.ResponseShapes.Message;
import org.distill4j.serve.ResponseShapes.TokenLogprob;
import org.distill4j.serve.ResponseShapes.Usage;
import org.distill4j.serve.ResponseShapes.UsageChunk;

/**
 * The chunks of a streamed response, in OpenAI's shapes: {@code text_completion} objects whose choices
 * carry a text delta, or {@code chat.completion.chunk} objects whose choices carry a message delta (the
 * first one per choice announces the assistant role). Every chunk of one response shares its id and
 * creation time; a choice's {@code index} says which (prompt, sample) it belongs to, and its last chunk
 * has the {@code finish_reason}. Log-probs come per chunk, for the chunk's one token.
 */
final class StreamChunks {
    private static final TopLogprobs NONE = new TopLogprobs(new long[0], new float[0]);

    private final GenerationRequest request;
    private final Header header;
    private final boolean[] announced;

    StreamChunks(ResponseBuilder responses, GenerationRequest request) {
        this.request = request;
        this.header = responses.header(request.chat() ? "chatcmpl-" : "cmpl-",
                request.chat() ? "chat.completion.chunk" : "text_completion");
        this.announced = new boolean[request.rows()];
    }

    /** A chat choice's first chunk: the assistant role and empty content, as OpenAI sends it before any token. */
    Object role(int index) {
        announced[index] = true;
        return chunk(new ChunkChoice(index, new Message("assistant", ""), null, null));
    }

    boolean announced(int index) {
        return announced[index];
    }

    Object token(Job.Delta d) {
        String finish = d.finish() == null ? null : ResponseBuilder.finishReason(d.finish());
        if (!request.chat()) {
            return chunk(new CompletionChoice(d.text(), d.index(),
                    request.logprobs() == null ? null : completionLogprobs(d), finish));
        }
        ChatLogprobs logprobs = null;
        if (request.logprobs() != null) {
            List<TokenLogprob> alternatives = new ArrayList<>();
            TopLogprobs t = d.top();
            for (int m = 0; t != null && m < t.size(); m++) {
                alternatives.add(TokenLogprob.of(d.topTexts()[m], t.ids()[m], t.logprobs()[m], null));
            }
            logprobs = new ChatLogprobs(List.of(TokenLogprob.of(d.piece(), d.token(), d.logprob(), alternatives)));
        }
        return chunk(new ChunkChoice(d.index(), new Message(null, d.text()), logprobs, finish));
    }

    /** The last chunk with stream_options.include_usage: no choices, the whole response's usage. */
    UsageChunk usage(long promptTokens, long completionTokens) {
        return new UsageChunk(header, List.of(), Usage.of(promptTokens, completionTokens));
    }

    /** The chunk's one token; without a top-k its alternatives are empty (not null, as in a whole response). */
    private static CompletionLogprobs completionLogprobs(Job.Delta d) {
        CompletionLogprobs lp = new CompletionLogprobs(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        TopLogprobs t = d.top() == null ? NONE : d.top();
        ResponseBuilder.addToken(lp, d.piece(), d.logprob(), d.offset(), d.token(), t,
                d.top() == null ? new String[0] : d.topTexts());
        return lp;
    }

    private Object chunk(Object choice) {
        List<Object> choices = List.of(choice);
        return request.streamUsage() ? new UsageChunk(header, choices, null) : new Chunk(header, choices);
    }
}
