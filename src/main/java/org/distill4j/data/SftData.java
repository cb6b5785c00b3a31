package org.distill4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;

/**
 * Prompt/response JSONL for supervised training. A record is {@code {"prompt": …, "response": …}}
 * (encoded by {@link PromptTemplate}), a conversation {@code {"messages": [...]}} ending with the assistant's
 * response, or followed by it in {@code "response"} as {@code teach --chat} writes it (rendered by the model's chat
 * template, {@link Conversation}), or pre-tokenized
 * {@code {"prompt_ids": […], "response_ids": […]}}
 * (taken as they are, no EOS added). Examples longer than {@code maxLength} keep their prompt and lose
 * the end of their response (the prompt's start when the prompt alone is too long) and are counted.
 */
public final class SftData {
    private SftData() {}

    public record Loaded(List<Example> examples, int truncated) {}

    public static Loaded load(Path file, PromptTemplate template, int vocabSize, int maxLength) {
        List<Example> out = new ArrayList<>();
        int truncated = 0;
        for (Jsonl.Line line : Jsonl.read(file)) {
            String where = file + ":" + line.number();
            Example e;
            if (line.value().has("prompt_ids")) {
                e = new Example(ids(line.value().get("prompt_ids"), where, "prompt_ids", vocabSize),
                        ids(line.value().get("response_ids"), where, "response_ids", vocabSize));
            } else if (Conversation.in(line.value())) {
                Conversation c = Conversation.of(line.value(), where);
                // teach --chat writes the conversation it asked about with the teacher's "response"
                e = template.example(line.value().has("response") ? c.withResponse(line.text(file, "response")) : c, where);
            } else {
                String response = line.text(file, "response");
                if (response.isBlank()) {
                    throw new UserError(where + ": empty response");
                }
                e = template.example(line.text(file, "prompt"), response);
            }
            if (e.response().length == 0) {
                throw new UserError(where + ": empty response");
            }
            if (e.prompt().length == 0) {
                throw new UserError(where + ": empty prompt (it needs at least a BOS token)");
            }
            if (e.length() > maxLength) {
                truncated++;
                e = truncate(e, maxLength);
            }
            out.add(e);
        }
        if (out.isEmpty()) {
            throw new UserError(file + ": no records");
        }
        return new Loaded(out, truncated);
    }

    static Example truncate(Example e, int maxLength) {
        // keep at least one response token (and at most half the budget for an overlong prompt)
        int promptKeep = Math.min(e.prompt().length, Math.max(maxLength / 2, maxLength - e.response().length));
        long[] prompt = Arrays.copyOfRange(e.prompt(), e.prompt().length - promptKeep, e.prompt().length);
        long[] response = Arrays.copyOf(e.response(), Math.min(e.response().length, maxLength - promptKeep));
        return new Example(prompt, response);
    }

    private static long[] ids(JsonNode node, String where, String field, int vocabSize) {
        if (node == null || !node.isArray()) {
            throw new UserError(where + ": field '" + field + "' must be an array of token ids");
        }
        long[] ids = new long[node.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() >= vocabSize) {
                throw new UserError(where + ": " + field + "[" + i + "] = " + v + " is not a token id in [0, " + vocabSize + ")");
            }
            ids[i] = v.asLong();
        }
        return ids;
    }

    /** Splits off a validation set: a seeded shuffle, the last {@code fraction} of it held out. */
    public static List<List<Example>> split(List<Example> all, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new UserError("--val-fraction must be in (0, 1), got " + fraction);
        }
        List<Example> shuffled = new ArrayList<>(all);
        java.util.Collections.shuffle(shuffled, new java.util.Random(seed));
        int val = Math.max(1, (int) Math.round(all.size() * fraction));
        if (val >= all.size()) {
            throw new UserError("--val-fraction " + fraction + " leaves no training examples");
        }
        return List.of(shuffled.subList(0, all.size() - val), shuffled.subList(all.size() - val, all.size()));
    }
}
