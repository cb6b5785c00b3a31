package org.distill4j.data;

import java.nio.file.Path;
import java.util.Arrays;
import org.distill4j.lm.ChatFormat;
import org.distill4j.lm.JinjaChatTemplate;
import org.distill4j.lm.Tokenizer;
import org.distill4j.util.UserError;

/**
 * How prompt and response texts become one token sequence, the same everywhere (SFT, KD, GAD,
 * scoring, generation): {@code encode(prompt, with the tokenizer's special tokens, e.g. BOS)} followed by
 * {@code encode(response, without special tokens)} followed by EOS. Nothing is inserted between them:
 * the response is encoded exactly as written (with a byte-level BPE, a leading space in the response
 * text is a token of its own, as in transformers).
 *
 * <p>A conversation ({@code "messages"}) is rendered by the model's chat format ({@link ChatFormat}: the
 * checkpoint's own template when it has one): its prompt is the rendering of the messages with the generation
 * prompt (the assistant's header), and, for training, its response is what the full rendering adds after that
 * prompt (the last assistant message with the template's end of turn, e.g. {@code Hello<|im_end|>\n}). EOS is
 * appended only when that response holds no end-of-turn or EOS token of its own.
 */
public record PromptTemplate(Tokenizer tokenizer, long eos, ChatFormat chat) {
    /** A template for a model without a chat template: conversations use the default format. */
    public PromptTemplate(Tokenizer tokenizer, long eos) {
        this(tokenizer, eos, new ChatFormat.Default());
    }

    /** The template of checkpoint {@code dir}: conversations use its own chat template when it has one. */
    public static PromptTemplate forCheckpoint(Path dir, Tokenizer tokenizer, long eos) {
        return new PromptTemplate(tokenizer, eos, ChatFormat.forCheckpoint(dir, "auto", dir.toString()).format());
    }

    public long[] prompt(String text) {
        return tokenizer.encode(text, true);
    }

    /** Response tokens followed by EOS. */
    public long[] response(String text) {
        long[] ids = tokenizer.encode(text, false);
        long[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eos;
        return out;
    }

    public Example example(String prompt, String response) {
        return new Example(prompt(prompt), response(response));
    }

    /** The prompt of a JSONL prompt record: its {@code "messages"} rendered by the chat format, or its {@code "prompt"}. */
    public long[] prompt(org.distill4j.util.Jsonl.Line line, Path file) {
        String where = file + ":" + line.number();
        return Conversation.in(line.value()) ? prompt(Conversation.of(line.value(), where), where) : prompt(line.text(file, "prompt"));
    }

    /** The prompt of a prompt key ({@link Conversation#promptKey}): a conversation's rendering, or the text. */
    public long[] promptOfKey(String key) {
        Conversation c = Conversation.fromKey(key);
        return c == null ? prompt(key) : prompt(c, "prompt " + key);
    }

    /** The prompt of a conversation: all its messages, then the assistant's header. */
    public long[] prompt(Conversation c, String where) {
        return tokenizer.encode(render(c, c.messages(), true, where), chat.addSpecialTokens());
    }

    /** A training example of a conversation that ends with the assistant's response. */
    public Example example(Conversation c, String where) {
        if (!c.last().role().equals("assistant") || c.messages().size() < 2) {
            throw new UserError(where + ": a training conversation must end with an assistant message after at least one other");
        }
        String prompt = render(c, c.history(), true, where);
        String full = render(c, c.messages(), false, where);
        if (!full.startsWith(prompt)) {
            throw new UserError(where + ": the chat template (" + chat.name() + ") renders the conversation without the "
                    + "generation prompt differently from the prompt with it, so the response cannot be split off");
        }
        long[] response = tokenizer.encode(full.substring(prompt.length()), false);
        if (!endsTurn(response)) {
            response = Arrays.copyOf(response, response.length + 1);
            response[response.length - 1] = eos;
        }
        return new Example(tokenizer.encode(prompt, chat.addSpecialTokens()), response);
    }

    private String render(Conversation c, java.util.List<ChatFormat.Message> messages, boolean generation, String where) {
        try {
            return chat.render(messages, generation, c.kwargs());
        } catch (JinjaChatTemplate.TemplateException e) {
            throw new UserError(where + ": the chat template refuses this conversation: " + e.getMessage(), e);
        }
    }

    private boolean endsTurn(long[] response) {
        for (long id : response) {
            if (id == eos) {
                return true;
            }
            for (String marker : chat.endOfTurn()) {
                if (tokenizer.specialId(marker).filter(m -> m == id).isPresent()) {
                    return true;
                }
            }
        }
        return false;
    }
}
