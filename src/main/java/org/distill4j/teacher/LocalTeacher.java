package org.distill4j.teacher;

import java.util.ArrayList;
import java.util.List;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.Sample;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.LanguageModel;

/**
 * A local checkpoint used as a text-only teacher: prompts are encoded with the teacher's own tokenizer
 * and only the decoded text leaves it, so its tokenizer may differ from the student's.
 */
public final class LocalTeacher implements BlackBoxTeacher {
    private final LanguageModel model;
    private final SamplingParams params;

    /** @param params sampling settings; {@code n} and the prompt count come from each call */
    public LocalTeacher(LanguageModel model, SamplingParams params) {
        this.model = model;
        this.params = params;
    }

    @Override
    public List<List<String>> respond(List<String> prompts, int n) {
        List<long[]> ids = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            ids.add(model.encodePrompt(p));
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
