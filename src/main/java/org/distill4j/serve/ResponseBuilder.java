package org.distill4j.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.distill4j.generate.Sample;
import org.distill4j.generate.TopLogprobs;
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

    ObjectNode completion(GenerationRequest r, GenerationResult result) {
        ObjectNode root = header("cmpl-", "text_completion");
        ArrayNode choices = root.putArray("choices");
        long completionTokens = 0;
        long promptTokens = 0;
        for (int i = 0; i < r.promptIds().size(); i++) {
            long[] prompt = r.promptIds().get(i);
            promptTokens += prompt.length;
            for (int s = 0; s < r.n(); s++) {
                Sample sample = r.samples() ? result.samples().get(i * r.n() + s) : null;
                ObjectNode c = choices.addObject();
                String generated = sample == null ? "" : sample.text();
                c.put("text", r.echo() ? r.promptTexts().get(i) + generated : generated);
                c.put("index", i * r.n() + s);
                if (r.logprobs() == null) {
                    c.putNull("logprobs");
                } else {
                    PromptScores scores = r.echo() ? result.scores().get(i) : null;
                    c.set("logprobs", completionLogprobs(prompt, scores, sample, r.logprobs(),
                            r.echo() ? 0 : r.promptTexts().get(i).length()));
                }
                c.put("finish_reason", sample == null ? "length" : finishReason(sample));
                completionTokens += sample == null ? 0 : sample.tokens().length;
            }
        }
        usage(root, promptTokens, completionTokens);
        return root;
    }

    ObjectNode chat(GenerationRequest r, GenerationResult result) {
        ObjectNode root = header("chatcmpl-", "chat.completion");
        ArrayNode choices = root.putArray("choices");
        long completionTokens = 0;
        long[] prompt = r.promptIds().get(0);
        for (int s = 0; s < r.n(); s++) {
            Sample sample = result.samples().get(s);
            ObjectNode c = choices.addObject();
            c.put("index", s);
            ObjectNode message = c.putObject("message");
            message.put("role", "assistant");
            message.put("content", sample.text());
            if (r.logprobs() == null) {
                c.putNull("logprobs");
            } else {
                c.putObject("logprobs").set("content", chatLogprobs(prompt, sample, r.logprobs()));
            }
            c.put("finish_reason", finishReason(sample));
            completionTokens += sample.tokens().length;
        }
        usage(root, prompt.length, completionTokens);
        return root;
    }

    /** Legacy completions log-probs: parallel arrays over (echoed prompt tokens +) generated tokens. */
    private ObjectNode completionLogprobs(long[] prompt, PromptScores scores, Sample sample, int k, int firstOffset) {
        ObjectNode lp = Json.object();
        ArrayNode tokenTexts = lp.putArray("tokens");
        ArrayNode tokenLogprobs = lp.putArray("token_logprobs");
        ArrayNode top = lp.putArray("top_logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        ArrayNode ids = lp.putArray("token_ids");
        ArrayNode topIds = lp.putArray("top_token_ids");
        ArrayNode topValues = lp.putArray("top_token_logprobs");
        int offset = firstOffset;
        if (scores != null) {
            String[] pieces = tokens.pieces(prompt, 0);
            for (int j = 0; j < prompt.length; j++) {
                offset = addToken(pieces[j], prompt, j, scores.logprobs()[j], scores.top()[j], k, offset,
                        tokenTexts, tokenLogprobs, top, offsets, ids, topIds, topValues);
            }
        }
        if (sample != null) {
            long[] all = concat(prompt, sample.tokens());
            String[] pieces = tokens.pieces(all, prompt.length);
            for (int j = 0; j < sample.tokens().length; j++) {
                TopLogprobs t = sample.top().isEmpty() ? null : sample.top().get(j);
                offset = addToken(pieces[j], all, prompt.length + j, sample.logprobs()[j], t, k, offset,
                        tokenTexts, tokenLogprobs, top, offsets, ids, topIds, topValues);
            }
        }
        return lp;
    }

    /** Token {@code seq[pos]}: its piece, log-prob and top-k, the alternatives' texts decoded at the same position. */
    private int addToken(String piece, long[] seq, int pos, float logprob, TopLogprobs t, int k, int offset,
                         ArrayNode tokenTexts, ArrayNode tokenLogprobs, ArrayNode top, ArrayNode offsets,
                         ArrayNode ids, ArrayNode topIds, ArrayNode topValues) {
        tokenTexts.add(piece);
        if (Float.isNaN(logprob)) {
            tokenLogprobs.addNull(); // the first prompt token has no context
        } else {
            tokenLogprobs.add(logprob);
        }
        offsets.add(offset);
        ids.add(seq[pos]);
        if (t == null) {
            top.addNull();
            topIds.addNull();
            topValues.addNull();
        } else {
            ObjectNode byText = top.addObject();
            ArrayNode idRow = topIds.addArray();
            ArrayNode valueRow = topValues.addArray();
            String[] texts = tokens.at(seq, pos, t.ids(), k);
            for (int m = 0; m < texts.length; m++) {
                String text = texts[m];
                if (!byText.has(text)) { // two ids with one text: keep the likelier (listed first)
                    byText.put(text, t.logprobs()[m]);
                }
                idRow.add(t.ids()[m]);
                valueRow.add(t.logprobs()[m]);
            }
        }
        return offset + piece.length();
    }

    private ArrayNode chatLogprobs(long[] prompt, Sample sample, int k) {
        ArrayNode content = Json.MAPPER.createArrayNode();
        long[] all = concat(prompt, sample.tokens());
        String[] pieces = tokens.pieces(all, prompt.length);
        for (int j = 0; j < sample.tokens().length; j++) {
            ObjectNode e = tokenEntry(content.addObject(), pieces[j], sample.tokens()[j], sample.logprobs()[j]);
            ArrayNode alternatives = e.putArray("top_logprobs");
            if (!sample.top().isEmpty()) {
                TopLogprobs t = sample.top().get(j);
                String[] texts = tokens.at(all, prompt.length + j, t.ids(), k);
                for (int m = 0; m < texts.length; m++) {
                    tokenEntry(alternatives.addObject(), texts[m], t.ids()[m], t.logprobs()[m]);
                }
            }
        }
        return content;
    }

    static ObjectNode tokenEntry(ObjectNode e, String text, long id, float logprob) {
        e.put("token", text);
        e.put("logprob", logprob);
        ArrayNode bytes = e.putArray("bytes");
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        e.put("id", id);
        return e;
    }

    ObjectNode header(String idPrefix, String object) {
        ObjectNode root = Json.object();
        byte[] random = new byte[12];
        ThreadLocalRandom.current().nextBytes(random);
        root.put("id", idPrefix + HexFormat.of().formatHex(random));
        root.put("object", object);
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", modelName);
        return root;
    }

    static void usage(ObjectNode root, long prompt, long completion) {
        ObjectNode u = root.putObject("usage");
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
    }

    static String finishReason(Sample s) {
        return finishReason(s.finish());
    }

    static String finishReason(Sample.Finish f) {
        return f == Sample.Finish.LENGTH ? "length" : "stop";
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
