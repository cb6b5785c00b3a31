package org.distill4j.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.distill4j.generate.Sample;
import org.distill4j.generate.TopLogprobs;
import org.distill4j.serve.ResponseShapes.ChatChoice;
import org.distill4j.serve.ResponseShapes.ChatLogprobs;
import org.distill4j.serve.ResponseShapes.CompletionChoice;
import org.distill4j.serve.ResponseShapes.CompletionLogprobs;
import org.distill4j.serve.ResponseShapes.Header;
import org.distill4j.serve.ResponseShapes.Message;
import org.distill4j.serve.ResponseShapes.Response;
import org.distill4j.serve.ResponseShapes.TokenLogprob;
import org.distill4j.serve.ResponseShapes.Usage;
import org.distill4j.util.Json;

/**
 * Writes results in OpenAI's response shapes ({@code text_completion}, {@code chat.completion}). Log-probs
 * carry, besides OpenAI's fields, the token ids ({@code token_ids}, {@code top_token_ids},
 * {@code top_token_logprobs} in completions; {@code id} in chat entries): token strings can collide, ids
 * cannot, and a white-box student needs ids.
 */
final class ResponseBuilder {
    private final String modelName;
    private final TokenText tokens;

    ResponseBuilder(String modelName, TokenText tokens) {
        this.modelName = modelName;
        this.tokens = tokens;
    }

    /** The response as a tree made by Jackson from the records: callers (tests) read its fields. */
    ObjectNode completion(GenerationRequest r, GenerationResult result) {
        List<CompletionChoice> choices = new ArrayList<>();
        long completionTokens = 0;
        long promptTokens = 0;
        for (int i = 0; i < r.promptIds().size(); i++) {
            long[] prompt = r.promptIds().get(i);
            promptTokens += prompt.length;
            for (int s = 0; s < r.n(); s++) {
                Sample sample = r.samples() ? result.samples().get(i * r.n() + s) : null;
                String generated = sample == null ? "" : sample.text();
                CompletionLogprobs logprobs = null;
                if (r.logprobs() != null) {
                    PromptScores scores = r.echo() ? result.scores().get(i) : null;
                    logprobs = completionLogprobs(prompt, scores, sample, r.logprobs(),
                            r.echo() ? 0 : r.promptTexts().get(i).length());
                }
                choices.add(new CompletionChoice(r.echo() ? r.promptTexts().get(i) + generated : generated,
                        i * r.n() + s, logprobs, sample == null ? "length" : finishReason(sample)));
                completionTokens += sample == null ? 0 : sample.tokens().length;
            }
        }
        return Json.MAPPER.valueToTree(
                new Response(header("cmpl-", "text_completion"), choices, Usage.of(promptTokens, completionTokens)));
    }

    ObjectNode chat(GenerationRequest r, GenerationResult result) {
        List<ChatChoice> choices = new ArrayList<>();
        long completionTokens = 0;
        long[] prompt = r.promptIds().get(0);
        for (int s = 0; s < r.n(); s++) {
            Sample sample = result.samples().get(s);
            ChatLogprobs logprobs = r.logprobs() == null ? null : new ChatLogprobs(chatLogprobs(prompt, sample, r.logprobs()));
            choices.add(new ChatChoice(s, new Message("assistant", sample.text()), logprobs, finishReason(sample)));
            completionTokens += sample.tokens().length;
        }
        return Json.MAPPER.valueToTree(
                new Response(header("chatcmpl-", "chat.completion"), choices, Usage.of(prompt.length, completionTokens)));
    }

    /** Legacy completions log-probs: parallel arrays over (echoed prompt tokens +) generated tokens. */
    private CompletionLogprobs completionLogprobs(long[] prompt, PromptScores scores, Sample sample, int k, int firstOffset) {
        CompletionLogprobs lp = new CompletionLogprobs(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        int offset = firstOffset;
        if (scores != null) {
            String[] pieces = tokens.pieces(prompt, 0);
            for (int j = 0; j < prompt.length; j++) {
                offset = addToken(lp, pieces[j], prompt, j, scores.logprobs()[j], scores.top()[j], k, offset);
            }
        }
        if (sample != null) {
            long[] all = concat(prompt, sample.tokens());
            String[] pieces = tokens.pieces(all, prompt.length);
            for (int j = 0; j < sample.tokens().length; j++) {
                TopLogprobs t = sample.top().isEmpty() ? null : sample.top().get(j);
                offset = addToken(lp, pieces[j], all, prompt.length + j, sample.logprobs()[j], t, k, offset);
            }
        }
        return lp;
    }

    /** Token {@code seq[pos]}: its piece, log-prob and top-k, the alternatives' texts decoded at the same position. */
    private int addToken(CompletionLogprobs lp, String piece, long[] seq, int pos, float logprob, TopLogprobs t, int k,
                         int offset) {
        String[] texts = t == null ? null : tokens.at(seq, pos, t.ids(), k);
        addToken(lp, piece, Float.isNaN(logprob) ? null : logprob, offset, seq[pos], t, texts); // the first prompt token has no context
        return offset + piece.length();
    }

    /** Appends one token's entries to the parallel arrays; {@code texts} are the top-k alternatives' texts. */
    static void addToken(CompletionLogprobs lp, String piece, Float logprob, int offset, long id, TopLogprobs t,
                         String[] texts) {
        lp.tokens().add(piece);
        lp.tokenLogprobs().add(logprob);
        lp.textOffset().add(offset);
        lp.tokenIds().add(id);
        if (t == null) {
            lp.topLogprobs().add(null);
            lp.topTokenIds().add(null);
            lp.topTokenLogprobs().add(null);
            return;
        }
        Map<String, Float> byText = new LinkedHashMap<>();
        for (int m = 0; m < texts.length; m++) {
            byText.putIfAbsent(texts[m], t.logprobs()[m]); // two ids with one text: keep the likelier (listed first)
        }
        lp.topLogprobs().add(byText);
        lp.topTokenIds().add(Arrays.copyOf(t.ids(), texts.length));
        lp.topTokenLogprobs().add(Arrays.copyOf(t.logprobs(), texts.length));
    }

    private List<TokenLogprob> chatLogprobs(long[] prompt, Sample sample, int k) {
        List<TokenLogprob> content = new ArrayList<>();
        long[] all = concat(prompt, sample.tokens());
        String[] pieces = tokens.pieces(all, prompt.length);
        for (int j = 0; j < sample.tokens().length; j++) {
            List<TokenLogprob> alternatives = new ArrayList<>();
            if (!sample.top().isEmpty()) {
                TopLogprobs t = sample.top().get(j);
                String[] texts = tokens.at(all, prompt.length + j, t.ids(), k);
                for (int m = 0; m < texts.length; m++) {
                    alternatives.add(TokenLogprob.of(texts[m], t.ids()[m], t.logprobs()[m], null));
                }
            }
            content.add(TokenLogprob.of(pieces[j], sample.tokens()[j], sample.logprobs()[j], alternatives));
        }
        return content;
    }

    Header header(String idPrefix, String object) {
        byte[] random = new byte[12];
        ThreadLocalRandom.current().nextBytes(random);
        return new Header(idPrefix + HexFormat.of().formatHex(random), object, System.currentTimeMillis() / 1000, modelName);
    }

    static String finishReason(Sample s) {
        return finishReason(s.finish());
    }

    static String finishReason(Sample.Finish f) {
        return f == Sample.Finish.LENGTH ? "length" : "stop";
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
