package org.distill4j.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.util.AtomicFiles;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * A checkpoint's {@code tokenizer_config.json} (and {@code chat_template.jinja}, where transformers 5 keeps the
 * template): the chat template and the special tokens a template and {@code AutoTokenizer} read.
 *
 * @param chatTemplate  the Jinja source, or null when the checkpoint has none
 * @param specialTokens {@code bos_token}, {@code eos_token}, {@code unk_token}, {@code pad_token} as strings (absent
 *                      ones left out)
 */
public record TokenizerConfig(String chatTemplate, Map<String, String> specialTokens) {
    public static final String FILE = "tokenizer_config.json";
    public static final String TEMPLATE_FILE = "chat_template.jinja";
    private static final String[] SPECIAL = {"bos_token", "eos_token", "unk_token", "pad_token"};

    /** Reads the config of checkpoint {@code dir}; a directory without one has no template and no named tokens. */
    public static TokenizerConfig read(Path dir) {
        Path config = dir.resolve(FILE);
        JsonNode root = Files.isRegularFile(config) ? Json.read(config) : Json.object();
        Map<String, String> special = new LinkedHashMap<>();
        for (String name : SPECIAL) {
            JsonNode t = root.get(name);
            if (t != null && !t.isNull()) { // a string, or an AddedToken object {"content": ...}
                special.put(name, t.isTextual() ? t.asText() : t.path("content").asText());
            }
        }
        return new TokenizerConfig(template(dir, root, config), special);
    }

    private static String template(Path dir, JsonNode root, Path config) {
        Path jinja = dir.resolve(TEMPLATE_FILE);
        if (Files.isRegularFile(jinja)) {
            try {
                return Files.readString(jinja);
            } catch (IOException e) {
                throw new UserError(jinja + ": cannot read: " + e.getMessage(), e);
            }
        }
        JsonNode t = root.get("chat_template");
        if (t == null || t.isNull()) {
            return null;
        }
        if (t.isTextual()) {
            return t.asText();
        }
        if (t.isArray()) { // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText())) {
                    return named.path("template").asText();
                }
            }
        }
        throw new UserError(config + ": field 'chat_template' is neither a string nor a list with a \"default\" entry");
    }

    /**
     * Writes tokenizer_config.json (and chat_template.jinja) into checkpoint {@code dir} being saved with the
     * tokenizer file {@code tokenizerJson}: the source checkpoint's own files when it has them (copied as they are:
     * the tokenizer class, added tokens and template stay exactly as published), otherwise a config naming the
     * special tokens of {@code config}'s ids, so that {@code AutoTokenizer.from_pretrained(dir)} loads the tokenizer
     * with BOS/EOS and can pad ({@code pad_token} is the EOS token when the model has no pad id, as is usual for
     * causal LMs).
     */
    public static void writeFor(Path dir, Path tokenizerJson, ModelConfig config) throws IOException {
        Path source = tokenizerJson.toAbsolutePath().getParent();
        boolean copied = false;
        for (String name : new String[] {FILE, TEMPLATE_FILE}) {
            Path from = source.resolve(name);
            if (Files.isRegularFile(from)) {
                if (!from.equals(dir.toAbsolutePath().resolve(name))) { // saved where it was loaded from: already there
                    byte[] bytes = Files.readAllBytes(from);
                    AtomicFiles.write(dir.resolve(name), out -> out.write(bytes));
                }
                copied = true;
            }
        }
        if (!copied) {
            Json.write(dir.resolve(FILE), generated(tokenizerJson, config));
        }
    }

    static ObjectNode generated(Path tokenizerJson, ModelConfig config) {
        Map<Integer, String> byId = tokensById(Json.read(tokenizerJson));
        ObjectNode out = Json.object(); // a tree like the tokenizer_config.json it stands in for, which is copied as it is
        out.put("tokenizer_class", "PreTrainedTokenizerFast");
        put(out, "bos_token", byId.get(config.bosTokenId()));
        put(out, "eos_token", byId.get(config.eosTokenId()));
        String pad = config.padTokenId() >= 0 ? byId.get(config.padTokenId()) : null;
        put(out, "pad_token", pad != null ? pad : byId.get(config.eosTokenId()));
        put(out, "unk_token", Json.read(tokenizerJson).path("model").path("unk_token").textValue());
        out.put("model_max_length", config.maxPositionEmbeddings());
        out.put("clean_up_tokenization_spaces", false);
        return out;
    }

    private static void put(ObjectNode out, String name, String token) {
        if (token != null) {
            out.put(name, token);
        }
    }

    /** Token strings of the ids a config names: added tokens first, then the model's vocabulary. */
    private static Map<Integer, String> tokensById(JsonNode root) {
        Map<Integer, String> out = new HashMap<>();
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            vocab.fields().forEachRemaining(e -> out.put(e.getValue().asInt(), e.getKey()));
        } else if (vocab.isArray()) { // Unigram: [[piece, score], ...]
            for (int i = 0; i < vocab.size(); i++) {
                out.put(i, vocab.get(i).get(0).asText());
            }
        }
        for (JsonNode t : root.path("added_tokens")) {
            out.put(t.path("id").asInt(), t.path("content").asText());
        }
        return out;
    }
}
