package org.distill4j.lm;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.distill4j.util.UserError;

/**
 * How a conversation becomes the prompt text of a model: the checkpoint's own chat template ({@link Jinja}), or,
 * for checkpoints without one, a native format. The same format is used wherever messages become tokens
 * (training data with a {@code messages} field, {@code serve}'s chat endpoint, {@code teach --chat}).
 */
public sealed interface ChatFormat {
    /** One turn; any role the template accepts (system, user, assistant, ...). */
    record Message(String role, String content) {}

    String name();

    /** The text of {@code messages}, followed by the assistant's header when {@code addGenerationPrompt}. */
    String render(List<Message> messages, boolean addGenerationPrompt);

    /** As above, with keyword arguments for a template that reads them (native formats read none). */
    default String render(List<Message> messages, boolean addGenerationPrompt, Map<String, ?> kwargs) {
        return render(messages, addGenerationPrompt);
    }

    /** Whether encoding the rendered text adds the tokenizer's special tokens (BOS); templates write their own. */
    boolean addSpecialTokens();

    /** Texts that end an assistant turn: special tokens become end ids, other texts stop strings. */
    List<String> endOfTurn();

    /**
     * The checkpoint's template, rendered as transformers renders it, with fixed keyword arguments
     * ({@code enable_thinking}) merged under any given per conversation.
     */
    record Jinja(JinjaChatTemplate template, Map<String, Object> kwargs) implements ChatFormat {
        /** End-of-turn tokens of the families whose templates end a turn with something other than EOS. */
        private static final List<String> TURN_ENDS = List.of("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>");

        @Override
        public String name() {
            return "checkpoint";
        }

        @Override
        public String render(List<Message> messages, boolean addGenerationPrompt) {
            return render(messages, addGenerationPrompt, Map.of());
        }

        /** @throws JinjaChatTemplate.TemplateException when the template refuses the conversation */
        @Override
        public String render(List<Message> messages, boolean addGenerationPrompt, Map<String, ?> extraKwargs) {
            List<Map<String, Object>> maps = new ArrayList<>();
            for (Message m : messages) {
                Map<String, Object> map = new LinkedHashMap<>();
                map.put("role", m.role());
                map.put("content", m.content());
                maps.add(map);
            }
            Map<String, Object> all = new LinkedHashMap<>(kwargs);
            all.putAll(extraKwargs);
            return template.render(maps, addGenerationPrompt, all);
        }

        @Override
        public boolean addSpecialTokens() {
            return false; // transformers' apply_chat_template(tokenize=True) encodes without special tokens too
        }

        @Override
        public List<String> endOfTurn() {
            List<String> out = new ArrayList<>();
            String eos = template.specialToken("eos_token");
            if (eos != null) {
                out.add(eos);
            }
            for (String t : TURN_ENDS) {
                if (template.source().contains(t) && !out.contains(t)) {
                    out.add(t);
                }
            }
            return out;
        }
    }

    /**
     * The documented fallback (docs/serve.md): {@code <|role|>\n content \n} per message, then
     * {@code <|assistant|>\n}; BOS comes from the tokenizer's post-processor.
     */
    record Default() implements ChatFormat {
        @Override
        public String name() {
            return "default";
        }

        @Override
        public String render(List<Message> messages, boolean addGenerationPrompt) {
            StringBuilder s = new StringBuilder();
            for (Message m : messages) {
                s.append("<|").append(m.role()).append("|>\n").append(m.content()).append('\n');
            }
            return addGenerationPrompt ? s.append("<|assistant|>\n").toString() : s.toString();
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
     * ChatML written natively, for {@code --chat-template chatml}: {@code <|im_start|>role\n content <|im_end|>\n},
     * with the default system turn that Qwen-style templates insert (when the checkpoint's template has one).
     */
    record ChatMl(String defaultSystem) implements ChatFormat {
        @Override
        public String name() {
            return "chatml";
        }

        @Override
        public String render(List<Message> messages, boolean addGenerationPrompt) {
            StringBuilder s = new StringBuilder();
            if (defaultSystem != null && (messages.isEmpty() || !messages.get(0).role().equals("system"))) {
                turn(s, "system", defaultSystem);
            }
            for (Message m : messages) {
                turn(s, m.role(), m.content());
            }
            return addGenerationPrompt ? s.append("<|im_start|>assistant\n").toString() : s.toString();
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

    /** Llama 3.0 written natively, for {@code --chat-template llama3}. */
    record Llama3(String bosToken) implements ChatFormat {
        @Override
        public String name() {
            return "llama3";
        }

        @Override
        public String render(List<Message> messages, boolean addGenerationPrompt) {
            StringBuilder s = new StringBuilder(bosToken);
            for (Message m : messages) {
                s.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n")
                        .append(m.content().strip()).append("<|eot_id|>");
            }
            return addGenerationPrompt ? s.append("<|start_header_id|>assistant<|end_header_id|>\n\n").toString() : s.toString();
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

    /** A format and why it was chosen (printed by the commands that use one). */
    record Choice(ChatFormat format, String reason) {}

    /** "auto" is the checkpoint's own template when it has one, else the default format. */
    List<String> NAMES = List.of("auto", "default", "chatml", "llama3");

    /** The format for checkpoint {@code dir}: {@code requested} is one of {@link #NAMES}, given by {@code flag}. */
    static Choice forCheckpoint(Path dir, String requested, String flag) {
        return forCheckpoint(dir, requested, flag, Map.of());
    }

    /** As above, with keyword arguments for the checkpoint's template ({@code enable_thinking}). */
    static Choice forCheckpoint(Path dir, String requested, String flag, Map<String, Object> kwargs) {
        TokenizerConfig config = TokenizerConfig.read(dir);
        String source = config.chatTemplate();
        String bos = config.specialTokens().get("bos_token");
        String forced = "forced by " + flag;
        switch (requested.toLowerCase(Locale.ROOT)) {
            case "default":
                return new Choice(new Default(), forced);
            case "chatml":
                return new Choice(new ChatMl(source == null ? null : chatMlDefaultSystem(source)), forced);
            case "llama3":
                return new Choice(new Llama3(bos == null ? "<|begin_of_text|>" : bos), forced);
            case "auto":
                break;
            default:
                throw new UserError(flag + ": unknown chat template '" + requested + "'; use one of " + String.join(", ", NAMES));
        }
        if (source == null) {
            return new Choice(new Default(), "the checkpoint has no chat template");
        }
        Jinja jinja = new Jinja(new JinjaChatTemplate(source, config.specialTokens(), Clock.systemDefaultZone()), kwargs);
        try { // a template that cannot run at all is the checkpoint's error, reported once, not at every conversation
            jinja.render(List.of(new Message("user", "Hello")), true);
        } catch (JinjaChatTemplate.TemplateException e) {
            if (!e.refusal()) {
                throw new UserError(dir + ": the chat template cannot be rendered: " + e.getMessage());
            }
        }
        return new Choice(jinja, "the checkpoint's own chat template");
    }

    /** Qwen-style templates hard-code a system turn: {@code '<|im_start|>system\nYou are ...<|im_end|>\n'}. */
    private static String chatMlDefaultSystem(String source) {
        Matcher m = Pattern.compile("'<\\|im_start\\|>system\\\\n([^'{}]*)<\\|im_end\\|>\\\\n'").matcher(source);
        return m.find() ? m.group(1).replace("\\'", "'") : null;
    }
}
