package org.distill4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * How chat messages become one prompt text. A checkpoint's own chat template is Jinja, and running
 * Jinja is out of scope; instead the two families that cover most chat checkpoints are recognised by
 * their marker tokens and rendered natively (ChatML, Llama 3), and everything else uses the documented
 * default template (docs/serve.md). Each family renders with a trailing assistant header, i.e.
 * {@code add_generation_prompt=True}.
 */
public sealed interface ChatTemplate {
    String name();

    String render(List<ChatMessage> messages);

    /** Whether the tokenizer's own special tokens (BOS) are added when encoding the rendered text. */
    boolean addSpecialTokens();

    /** Texts that end an assistant turn: special tokens become end ids, other texts stop strings. */
    List<String> endOfTurn();

    /**
     * {@code <|role|>\n content \n} per message, then {@code <|assistant|>\n}; BOS comes from the
     * tokenizer's post-processor.
     */
    record Default() implements ChatTemplate {
        @Override
        public String name() {
            return "default";
        }

        @Override
        public String render(List<ChatMessage> messages) {
            StringBuilder s = new StringBuilder();
            for (ChatMessage m : messages) {
                s.append("<|").append(m.role()).append("|>\n").append(m.content()).append('\n');
            }
            return s.append("<|assistant|>\n").toString();
        }

        @Override
        public boolean addSpecialTokens() {
            return true;
        }

        @Override
        public List<String> endOfTurn() {
            return List.of("<|user|>", "<|system|>");
        }
    }

    /**
     * ChatML (Qwen and many others): {@code <|im_start|>role\n content <|im_end|>\n}. When the
     * checkpoint's template inserts a default system message (Qwen's does), it is extracted and used
     * for conversations that start without one.
     */
    record ChatMl(String defaultSystem) implements ChatTemplate {
        @Override
        public String name() {
            return "chatml";
        }

        @Override
        public String render(List<ChatMessage> messages) {
            StringBuilder s = new StringBuilder();
            if (defaultSystem != null && (messages.isEmpty() || !messages.get(0).role().equals("system"))) {
                turn(s, "system", defaultSystem);
            }
            for (ChatMessage m : messages) {
                turn(s, m.role(), m.content());
            }
            return s.append("<|im_start|>assistant\n").toString();
        }

        private static void turn(StringBuilder s, String role, String content) {
            s.append("<|im_start|>").append(role).append('\n').append(content).append("<|im_end|>\n");
        }

        @Override
        public boolean addSpecialTokens() {
            return false;
        }

        @Override
        public List<String> endOfTurn() {
            return List.of("<|im_end|>");
        }
    }

    /** Llama 3.0: BOS, then {@code <|start_header_id|>role<|end_header_id|>\n\n content.strip() <|eot_id|>}. */
    record Llama3(String bosToken) implements ChatTemplate {
        @Override
        public String name() {
            return "llama3";
        }

        @Override
        public String render(List<ChatMessage> messages) {
            StringBuilder s = new StringBuilder(bosToken);
            for (ChatMessage m : messages) {
                s.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n")
                        .append(m.content().strip()).append("<|eot_id|>");
            }
            return s.append("<|start_header_id|>assistant<|end_header_id|>\n\n").toString();
        }

        @Override
        public boolean addSpecialTokens() {
            return false;
        }

        @Override
        public List<String> endOfTurn() {
            return List.of("<|eot_id|>");
        }
    }

    /** A template and why it was chosen (printed at startup and shown by /v1/models). */
    record Choice(ChatTemplate template, String reason) {}

    List<String> NAMES = List.of("auto", "default", "chatml", "llama3");

    /**
     * The template for a checkpoint: {@code requested} "auto" inspects chat_template.jinja or the
     * chat_template of tokenizer_config.json; any other name forces that template.
     */
    static Choice forCheckpoint(Path dir, String requested) {
        String name = requested.toLowerCase(Locale.ROOT);
        String source = templateSource(dir);
        String bos = bosToken(dir);
        switch (name) {
            case "default":
                return new Choice(new Default(), "forced by --chat-template");
            case "chatml":
                return new Choice(new ChatMl(source == null ? null : chatMlDefaultSystem(source)), "forced by --chat-template");
            case "llama3":
                return new Choice(new Llama3(bos == null ? "<|begin_of_text|>" : bos), "forced by --chat-template");
            case "auto":
                break;
            default:
                throw new UserError("--chat-template: unknown template '" + requested + "'; use one of "
                        + String.join(", ", NAMES));
        }
        if (source == null) {
            return new Choice(new Default(), "the checkpoint has no chat template");
        }
        if (source.contains("<|im_start|>")) {
            return new Choice(new ChatMl(chatMlDefaultSystem(source)), "the checkpoint's template is ChatML");
        }
        if (source.contains("<|start_header_id|>")) {
            return new Choice(new Llama3(bos == null ? "<|begin_of_text|>" : bos), "the checkpoint's template is Llama 3");
        }
        return new Choice(new Default(), "the checkpoint's chat template is not one this server can render "
                + "(only ChatML and Llama 3 are recognised); using the default template instead");
    }

    private static String templateSource(Path dir) {
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                return Files.readString(jinja);
            } catch (IOException e) {
                throw new UserError(jinja + ": cannot read: " + e.getMessage(), e);
            }
        }
        Path config = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(config)) {
            return null;
        }
        JsonNode t = Json.read(config).get("chat_template");
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

    private static String bosToken(Path dir) {
        Path config = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(config)) {
            return null;
        }
        JsonNode b = Json.read(config).get("bos_token");
        if (b == null || b.isNull()) {
            return null;
        }
        return b.isTextual() ? b.asText() : b.path("content").asText(null);
    }

    /** Qwen-style templates hard-code a system turn: {@code '<|im_start|>system\nYou are ...<|im_end|>\n'}. */
    private static String chatMlDefaultSystem(String source) {
        Matcher m = Pattern.compile("'<\\|im_start\\|>system\\\\n([^'{}]*)<\\|im_end\\|>\\\\n'").matcher(source);
        return m.find() ? m.group(1).replace("\\'", "'") : null;
    }
}
