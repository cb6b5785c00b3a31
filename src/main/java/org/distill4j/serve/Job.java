package org.distill4j.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.distill4j.generate.Sample;
import org.distill4j.generate.SamplingParams;
import org.distill4j.generate.StepDecoder;
import org.distill4j.generate.TopLogprobs;
import org.distill4j.lm.Tokenizer;

/**
 * A request inside the scheduler: one {@link Row} per (prompt, sample), the future its HTTP thread
 * waits on, and, when it streams, the queue of per-token {@link Delta}s that thread writes out. The HTTP
 * thread may {@link #cancel} it at any time; the scheduler drops its rows before its next step.
 */
final class Job {
    /** What one decoding step produced for one row of a streaming request. */
    record Delta(int index, long token, float logprob, TopLogprobs top, String piece, String[] topTexts, int offset,
                 String text, Sample.Finish finish) {}

    /** A (prompt, sample) row: the decoder's row plus what the response needs. */
    final class Row {
        final int index;
        final StepDecoder.Row decoding;
        final List<Float> logprobs = new ArrayList<>();
        final List<TopLogprobs> top = new ArrayList<>();
        Sample.Finish finish;
        String finalText;
        /** Characters of the text already sent (streaming). */
        int emitted;
        /** text_offset of the next token's piece (streaming log-probs). */
        int offset;
        boolean running;

        Row(int index, long[] prompt, SamplingParams params, long seed) {
            this.index = index;
            this.decoding = new StepDecoder.Row(prompt, params, seed);
        }

        Job job() {
            return Job.this;
        }

        Sample sample() {
            float[] lp = new float[logprobs.size()];
            for (int i = 0; i < lp.length; i++) {
                lp[i] = logprobs.get(i);
            }
            return new Sample(index / request.n(), index % request.n(), decoding.generated(), lp, finalText, finish,
                    request.topLogprobs() > 0 ? top : List.of());
        }
    }

    /** Tokens of context a streamed token's text is decoded after (TokenText's window is no longer than this). */
    private static final int CONTEXT = 16;

    final GenerationRequest request;
    final boolean stream;
    final List<Row> rows = new ArrayList<>();
    final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    /** Streaming only: deltas in the order they were decoded. */
    final LinkedBlockingQueue<Delta> deltas = new LinkedBlockingQueue<>();
    final long submitted = System.nanoTime();
    volatile long firstToken;
    volatile boolean cancelled;
    List<PromptScores> scores;
    int unfinished;

    Job(GenerationRequest request, boolean stream) {
        this.request = request;
        this.stream = stream;
        if (request.samples()) { // max_tokens 0 (echo scoring) has no rows to decode
            SamplingParams params = request.key().params(request.topLogprobs());
            for (int i = 0; i < request.rows(); i++) {
                rows.add(new Row(i, request.promptIds().get(i / request.n()), params, request.rowSeeds()[i]));
            }
        }
        unfinished = request.samples() ? rows.size() : 0;
    }

    /** Stops the job at the scheduler's next step (the client has gone). */
    void cancel() {
        cancelled = true;
    }

    GenerationResult toResult() {
        List<Sample> samples = new ArrayList<>();
        if (request.samples()) {
            for (Row r : rows) {
                samples.add(r.sample());
            }
        }
        return new GenerationResult(samples, scores);
    }

    /**
     * Records a row's new token and decides whether the row ends: on an end id, on a stop string (the text
     * is cut before it), or at max_tokens. Streaming rows also get a text delta: the decoded text so far
     * minus what was sent, holding back a tail that could still grow into a stop string (and an incomplete
     * UTF-8 sequence, which decodes to U+FFFD), so a client never sees text that the stop string removes.
     */
    void accept(Row row, StepDecoder.Token token, Tokenizer tokenizer, TokenText tokenText) {
        row.logprobs.add(token.logprob());
        if (token.top() != null) {
            row.top.add(token.top());
        }
        SamplingKey key = request.key();
        long[] generated = row.decoding.generated();
        long[] prompt = request.promptIds().get(row.index / request.n());
        boolean needText = stream || !key.stop().isEmpty();
        // decoded after the prompt: alone, a SentencePiece decoder drops the first token's space
        String text = needText ? tokenizer.decodeAfter(prompt, generated) : null;
        int cut = text == null ? -1 : stopIndex(text, key.stop());
        if (key.eosIds().contains((int) token.id())) {
            row.finish = Sample.Finish.EOS;
        } else if (cut >= 0) {
            row.finish = Sample.Finish.STOP;
        } else if (generated.length >= request.key().maxTokens()) {
            row.finish = Sample.Finish.LENGTH;
        }
        if (row.finish != null) {
            String all = text != null ? text : tokenizer.decodeAfter(prompt, generated);
            row.finalText = cut >= 0 ? all.substring(0, cut) : all;
            unfinished--;
        }
        if (stream) {
            String visible = row.finish != null ? row.finalText : sendable(text, key.stop());
            String delta = visible.length() > row.emitted ? visible.substring(row.emitted) : "";
            row.emitted = Math.max(row.emitted, visible.length());
            String piece = null;
            String[] topTexts = null;
            int offset = row.offset;
            if (request.logprobs() != null) {
                // the token and its alternatives decoded after the tokens before it, as in a whole response
                int length = prompt.length + generated.length;
                long[] window = new long[Math.min(length, CONTEXT + 1)];
                for (int i = window.length - 1, at = length - 1; i >= 0; i--, at--) {
                    window[i] = at >= prompt.length ? generated[at - prompt.length] : prompt[at];
                }
                piece = tokenText.at(window, window.length - 1, token.id());
                if (token.top() != null) {
                    topTexts = tokenText.at(window, window.length - 1, token.top().ids(), token.top().size());
                }
                if (generated.length == 1) {
                    offset = request.promptTexts().get(row.index / request.n()).length();
                }
                row.offset = offset + piece.length();
            }
            deltas.add(new Delta(row.index, token.id(), token.logprob(), token.top(), piece, topTexts, offset, delta,
                    row.finish));
        }
    }

    static int stopIndex(String text, List<String> stop) {
        int best = -1;
        for (String s : stop) {
            int i = text.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** The text minus a tail that is a proper prefix of a stop string, or an unfinished character. */
    static String sendable(String text, List<String> stop) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\uFFFD') {
            end--;
        }
        int keep = end;
        for (String s : stop) {
            for (int len = Math.min(s.length() - 1, end); len > 0; len--) {
                if (text.startsWith(s.substring(0, len), end - len)) {
                    keep = Math.min(keep, end - len);
                    break;
                }
            }
        }
        return text.substring(0, keep);
    }
}
