package org.distill4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import org.distill4j.lm.Tokenizer;

/**
 * Turns a completions or chat request body into a {@link GenerationRequest}, refusing (400, naming the
 * field) anything malformed, out of bounds or not implemented, so the batching worker only ever sees
 * requests the model can serve.
 */
final class RequestParser {
    static final int MAX_N = 128;
    static final int MAX_LOGPROBS = 20;
    static final int MAX_STOP = 4;
    static final int MAX_PROMPTS = 256;
    static final int MAX_ROWS = 1024;
    /** OpenAI's default for the completions endpoint; chat defaults to the rest of the context. */
    static final int DEFAULT_COMPLETION_TOKENS = 16;

    private final Tokenizer tokenizer;
    private final int vocabSize;
    private final int context;
    private final Set<Integer> eosIds;
    private final String modelName;
    private final ChatTemplate template;

    RequestParser(Tokenizer tokenizer, int vocabSize, int context, Set<Integer> eosIds, String modelName,
                  ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.context = context;
        this.eosIds = Set.copyOf(eosIds);
        this.modelName = modelName;
        this.template = template;
    }

    /** Settings shared by both endpoints. */
    private record Common(double temperature, int topK, double topP, int n, List<String> stop, Long seed, boolean stream,
                          boolean streamUsage) {}

    /** Reads a tree, not a record: unknown and mistyped fields must be refused by name, as OpenAI does. */
    GenerationRequest completion(ObjectNode body) {
        RequestFields f = new RequestFields(body);
        Common c = common(f);
        f.refuseUnlessNeutral("suffix", v -> v.isTextual() && v.asText().isEmpty(), "insertion is not implemented");
        f.refuseUnlessNeutral("best_of", v -> v.isNumber() && v.asInt() == c.n(), "only best_of == n is supported");
        List<String> texts = new ArrayList<>();
        List<long[]> ids = new ArrayList<>();
        readPrompts(f, texts, ids);
        boolean echo = f.bool("echo", false);
        if (echo && c.stream()) {
            throw ApiError.unsupported("echo", "'echo' is not supported with 'stream': true");
        }
        JsonNode lp = f.get("logprobs");
        if (lp != null && lp.isBoolean()) {
            throw RequestFields.wrongType("logprobs", "an integer (the number of top log-probs, as in the completions API)", lp);
        }
        Integer logprobs = lp == null ? null : f.integer("logprobs", 0, 0, MAX_LOGPROBS);
        int maxTokens = f.integer("max_tokens", DEFAULT_COMPLETION_TOKENS, 0, context);
        if (maxTokens == 0 && !echo) {
            throw ApiError.invalid("max_tokens", "invalid_value", "'max_tokens' must be at least 1 (0 is allowed only with echo)");
        }
        for (int i = 0; i < ids.size(); i++) {
            checkContext(ids.get(i).length, maxTokens, ids.size() == 1 ? "the prompt" : "prompt " + i, "prompt");
        }
        checkRows(ids.size(), c.n());
        SamplingKey key = new SamplingKey(c.temperature(), c.topK(), c.topP(), maxTokens, c.stop(), eosIds);
        return new GenerationRequest(false, ids, texts, c.n(), key, seeds(c.seed(), ids.size() * c.n()), logprobs, echo,
                c.stream(), c.streamUsage());
    }

    GenerationRequest chat(ObjectNode body) {
        RequestFields f = new RequestFields(body);
        Common c = common(f);
        f.refuseUnlessNeutral("tools", v -> v.isArray() && v.isEmpty(), "tool calls are not implemented");
        f.refuseUnlessNeutral("functions", v -> v.isArray() && v.isEmpty(), "function calls are not implemented");
        f.refuseUnlessNeutral("tool_choice", v -> v.isTextual() && v.asText().equals("none"), "tool calls are not implemented");
        f.refuseUnlessNeutral("response_format", v -> v.path("type").asText().equals("text"), "only {\"type\": \"text\"} is supported");
        List<ChatMessage> messages = readMessages(f);
        String text = template.render(messages, templateKwargs(f));
        long[] prompt = tokenizer.encode(text, template.addSpecialTokens());
        if (prompt.length == 0) {
            throw ApiError.invalid("messages", "invalid_value", "the rendered chat prompt has no tokens");
        }
        boolean logprobs = f.bool("logprobs", false);
        int top = f.integer("top_logprobs", 0, 0, MAX_LOGPROBS);
        if (f.has("top_logprobs") && !logprobs) {
            throw ApiError.invalid("top_logprobs", "invalid_value", "'top_logprobs' needs 'logprobs': true");
        }
        String tokensField = f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        int maxTokens = f.integer(tokensField, Math.max(1, context - prompt.length), 1, context);
        checkContext(prompt.length, maxTokens, "the chat prompt", "messages");
        checkRows(1, c.n());
        // an end-of-turn marker that is a special token ends a sample as EOS; otherwise it is a stop string
        Set<Integer> eos = new LinkedHashSet<>(eosIds);
        List<String> stop = new ArrayList<>(c.stop());
        for (String marker : template.endOfTurn()) {
            var id = tokenizer.specialId(marker);
            if (id.isPresent()) {
                eos.add(id.get());
            } else if (!stop.contains(marker)) {
                stop.add(marker);
            }
        }
        SamplingKey key = new SamplingKey(c.temperature(), c.topK(), c.topP(), maxTokens, stop, eos);
        return new GenerationRequest(true, List.of(prompt), List.of(text), c.n(), key, seeds(c.seed(), c.n()),
                logprobs ? top : null, false, c.stream(), c.streamUsage());
    }

    private Common common(RequestFields f) {
        String model = f.requiredString("model");
        if (!model.equals(modelName)) {
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + model + "' does not exist; this server serves '" + modelName + "'");
        }
        boolean stream = f.bool("stream", false);
        boolean streamUsage = streamOptions(f, stream);
        f.refuseUnlessNeutral("presence_penalty", v -> v.isNumber() && v.asDouble() == 0, "penalties are not implemented");
        f.refuseUnlessNeutral("frequency_penalty", v -> v.isNumber() && v.asDouble() == 0, "penalties are not implemented");
        f.refuseUnlessNeutral("logit_bias", v -> v.isObject() && v.isEmpty(), "logit bias is not implemented");
        double temperature = f.number("temperature", 1.0, 0, 2);
        double topP = f.number("top_p", 1.0, 0, 1);
        if (topP == 0) {
            throw ApiError.invalid("top_p", "invalid_value", "'top_p' must be greater than 0");
        }
        int topK = f.integer("top_k", 0, -1, vocabSize); // vLLM's extension: -1 or 0 = off
        int n = f.integer("n", 1, 1, MAX_N);
        List<String> stop = f.stopStrings("stop", MAX_STOP);
        Long seed = f.optionalLong("seed");
        return new Common(temperature, Math.max(0, topK), topP, n, stop, seed, stream, streamUsage);
    }

    /** stream_options: {"include_usage": bool}, only with stream (as OpenAI requires). */
    private static boolean streamOptions(RequestFields f, boolean stream) {
        JsonNode o = f.get("stream_options");
        if (o == null || o.isNull()) {
            return false;
        }
        if (!stream) {
            throw ApiError.invalid("stream_options", "invalid_value", "'stream_options' is only allowed with 'stream': true");
        }
        if (!o.isObject()) {
            throw RequestFields.wrongType("stream_options", "an object", o);
        }
        JsonNode usage = o.get("include_usage");
        if (usage != null && !usage.isNull() && !usage.isBoolean()) {
            throw RequestFields.wrongType("stream_options.include_usage", "a boolean", usage);
        }
        return usage != null && usage.asBoolean(false);
    }

    /** prompt: a string, an array of strings, an array of token ids, or an array of such arrays. */
    private void readPrompts(RequestFields f, List<String> texts, List<long[]> ids) {
        JsonNode p = f.get("prompt");
        if (p == null) {
            throw ApiError.invalid("prompt", "missing_required_parameter", "'prompt' is required");
        }
        if (p.isTextual()) {
            addText(p.asText(), texts, ids);
            return;
        }
        String shapes = "a string, an array of strings, an array of token ids or an array of token-id arrays";
        if (!p.isArray() || p.isEmpty()) {
            throw p.isArray() ? ApiError.invalid("prompt", "invalid_value", "'prompt' is an empty array")
                    : RequestFields.wrongType("prompt", shapes, p);
        }
        if (p.size() > MAX_PROMPTS) {
            throw ApiError.invalid("prompt", "invalid_value", "'prompt' holds " + p.size() + " prompts; at most " + MAX_PROMPTS + " are allowed");
        }
        if (p.get(0).isIntegralNumber()) {
            addIds(p, "prompt", texts, ids);
            return;
        }
        for (int i = 0; i < p.size(); i++) {
            JsonNode x = p.get(i);
            if (x.isTextual() && p.get(0).isTextual()) {
                addText(x.asText(), texts, ids);
            } else if (x.isArray() && p.get(0).isArray()) {
                addIds(x, "prompt[" + i + "]", texts, ids);
            } else {
                throw RequestFields.wrongType("prompt", shapes + " (element " + i + " differs)", p);
            }
        }
    }

    private void addText(String text, List<String> texts, List<long[]> ids) {
        long[] encoded = tokenizer.encode(text, true);
        if (encoded.length == 0) {
            throw ApiError.invalid("prompt", "invalid_value", "the prompt has no tokens (this tokenizer adds no BOS to an empty text)");
        }
        texts.add(text);
        ids.add(encoded);
    }

    private void addIds(JsonNode array, String where, List<String> texts, List<long[]> ids) {
        if (array.isEmpty()) {
            throw ApiError.invalid("prompt", "invalid_value", where + " is an empty array of token ids");
        }
        long[] out = new long[array.size()];
        for (int j = 0; j < out.length; j++) {
            JsonNode t = array.get(j);
            if (!t.isIntegralNumber() || t.asLong() < 0 || t.asLong() >= vocabSize) {
                throw ApiError.invalid("prompt", "invalid_value", where + "[" + j + "] = " + t
                        + " is not a token id (0 .. " + (vocabSize - 1) + ")");
            }
            out[j] = t.asLong();
        }
        texts.add(tokenizer.decode(out, false));
        ids.add(out);
    }

    /** {@code chat_template_kwargs} (vLLM's name): keyword arguments the checkpoint's template reads, e.g. enable_thinking. */
    private static java.util.Map<String, Object> templateKwargs(RequestFields f) {
        JsonNode kw = f.get("chat_template_kwargs");
        if (kw == null || kw.isNull()) {
            return java.util.Map.of();
        }
        if (!kw.isObject()) {
            throw RequestFields.wrongType("chat_template_kwargs", "an object", kw);
        }
        return org.distill4j.util.Json.MAPPER.convertValue(kw, new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, Object>>() {});
    }

    private List<ChatMessage> readMessages(RequestFields f) {
        JsonNode ms = f.get("messages");
        if (ms == null) {
            throw ApiError.invalid("messages", "missing_required_parameter", "'messages' is required");
        }
        if (!ms.isArray() || ms.isEmpty()) {
            throw ms.isArray() ? ApiError.invalid("messages", "invalid_value", "'messages' is an empty array")
                    : RequestFields.wrongType("messages", "an array of messages", ms);
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            String where = "messages[" + i + "]";
            JsonNode m = ms.get(i);
            if (!m.isObject()) {
                throw RequestFields.wrongType(where, "an object", m);
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) {
                throw ApiError.invalid(where + ".role", "invalid_type", where + ".role must be a string");
            }
            String r = switch (role.asText()) {
                case "system", "developer" -> "system";
                case "user" -> "user";
                case "assistant" -> "assistant";
                case "tool", "function" -> throw ApiError.unsupported(where + ".role", "tool and function messages are not supported");
                default -> throw ApiError.invalid(where + ".role", "invalid_value", where + ".role '" + role.asText()
                        + "' is not one of system, developer, user, assistant");
            };
            out.add(new ChatMessage(r, content(m.get("content"), where + ".content")));
        }
        return out;
    }

    /** A string, or an array of {"type": "text", "text": ...} parts (joined). */
    private static String content(JsonNode c, String where) {
        if (c != null && c.isTextual()) {
            return c.asText();
        }
        if (c != null && c.isArray()) {
            StringBuilder s = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
                    throw ApiError.unsupported(where, where + ": only text parts ({\"type\": \"text\", \"text\": ...}) are supported");
                }
                s.append(part.get("text").asText());
            }
            return s.toString();
        }
        throw ApiError.invalid(where, "invalid_type", where + " must be a string or an array of text parts"
                + (c == null || c.isNull() ? ", got nothing" : ", got " + RequestFields.describe(c)));
    }

    private void checkContext(int promptTokens, int maxTokens, String what, String param) {
        if (promptTokens + maxTokens > context) {
            throw ApiError.invalid(promptTokens >= context ? param : "max_tokens", "context_length_exceeded",
                    what + " has " + promptTokens + " tokens and max_tokens is " + maxTokens + ": "
                            + (promptTokens + maxTokens) + " exceeds the model's context length of " + context + " tokens");
        }
    }

    private static void checkRows(int prompts, int n) {
        if ((long) prompts * n > MAX_ROWS) {
            throw ApiError.invalid("n", "invalid_value", prompts + " prompts x n = " + n + " is " + (long) prompts * n
                    + " samples; at most " + MAX_ROWS + " are allowed per request");
        }
    }

    /** One seed per row: derived from the request's seed (reproducible), or random. */
    private static long[] seeds(Long seed, int rows) {
        long[] out = new long[rows];
        SplittableRandom derived = seed == null ? null : new SplittableRandom(seed);
        for (int i = 0; i < rows; i++) {
            out[i] = derived != null ? derived.nextLong() : ThreadLocalRandom.current().nextLong();
        }
        return out;
    }
}
