package org.distill4j.serve;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.lm.ChatFormat;
import org.distill4j.lm.JinjaChatTemplate;

/**
 * How the chat endpoint's messages become one prompt text: a {@link ChatFormat} (the checkpoint's own Jinja
 * template, or a native format for checkpoints without one), always with {@code add_generation_prompt}. A
 * conversation the template refuses (its {@code raise_exception}, e.g. roles that do not alternate) is the
 * client's error (400), not the server's.
 */
public sealed interface ChatTemplate {
    ChatFormat format();

    default String name() {
        return format().name();
    }

    default String render(List<ChatMessage> messages) {
        return render(messages, java.util.Map.of());
    }

    /** As above, with the request's {@code chat_template_kwargs} for a template that reads them (Qwen3's enable_thinking). */
    default String render(List<ChatMessage> messages, java.util.Map<String, ?> kwargs) {
        List<ChatFormat.Message> turns = messages.stream().map(m -> new ChatFormat.Message(m.role(), m.content())).toList();
        try {
            return format().render(turns, true, kwargs);
        } catch (JinjaChatTemplate.TemplateException e) {
            throw ApiError.invalid("messages", "invalid_value", "the model's chat template refuses these messages: " + e.getMessage());
        }
    }

    /** Whether the tokenizer's own special tokens (BOS) are added when encoding the rendered text. */
    default boolean addSpecialTokens() {
        return format().addSpecialTokens();
    }

    /** Texts that end an assistant turn: special tokens become end ids, other texts stop strings. */
    default List<String> endOfTurn() {
        return format().endOfTurn();
    }

    /** The documented default format (docs/serve.md). */
    record Default() implements ChatTemplate {
        @Override
        public ChatFormat format() {
            return new ChatFormat.Default();
        }
    }

    /** Any other format: the checkpoint's template, or a native one forced by --chat-template. */
    record Of(ChatFormat format) implements ChatTemplate {}

    /** A template and why it was chosen (printed at startup and shown by /v1/models). */
    record Choice(ChatTemplate template, String reason) {}

    List<String> NAMES = ChatFormat.NAMES;

    /**
     * The template for a checkpoint: {@code requested} "auto" is the checkpoint's own template (chat_template.jinja
     * or tokenizer_config.json's chat_template) when it has one; any other name forces that native format.
     */
    static Choice forCheckpoint(Path dir, String requested) {
        ChatFormat.Choice c = ChatFormat.forCheckpoint(dir, requested, "--chat-template");
        return new Choice(c.format() instanceof ChatFormat.Default ? new Default() : new Of(c.format()), c.reason());
    }
}
