package org.distill4j.teacher;

import java.util.ArrayList;
import java.util.List;
import org.distill4j.data.Conversation;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.Sample;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.ChatFormat;
import org.distill4j.lm.LanguageModel;

/**
 * A local checkpoint used as a text-only teacher: prompts are encoded with the teacher's own tokenizer (a
 * conversation, {@link Conversation#key()}, rendered by its own chat template) and only the decoded text leaves it,
 * so its tokenizer and template may differ from the student's.
 */
public final class LocalTeacher implements BlackBoxTeacher {
    private final LanguageModel model;
    private final SamplingParams params;
    private final ChatFormat chat;

    /** @param params sampling settings; {@code n} and the prompt count come from each call */
    public LocalTeacher(LanguageModel model, SamplingParams params) {
        this.model = model;
        this.params = params;
        // conversation prompts are rendered by the teacher's own chat template, beside its tokenizer
        this.chat = ChatFormat.forCheckpoint(model.tokenizer().file().toAbsolutePath().getParent(), "auto", "the teacher").format();
    }

    @Override
    public List<List<String>> respond(List<String> prompts, int n) {
        List<long[]> ids = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            Conversation c = Conversation.fromKey(p);
            ids.add(c == null ? model.encodePrompt(p)
                    : model.tokenizer().encode(chat.render(c.messages(), true, c.kwargs()), chat.addSpecialTokens()));
        }
        List<List<String>> out = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            out.add(new ArrayList<>(n));
        }
        for (Sample s : new Sampler(model.transformer(), model.tokenizer()).generate(ids, params.withN(n))) {
            out.get(s.promptIndex()).add(s.text());
        }
        return out;
    }
}
