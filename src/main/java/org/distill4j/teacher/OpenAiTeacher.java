package org.distill4j.teacher;

import java.util.ArrayList;
import java.util.List;
import org.distill4j.openai.BatchReport;
import org.distill4j.openai.EndpointException;
import org.distill4j.openai.EndpointSettings;
import org.distill4j.openai.Journal;
import org.distill4j.openai.OpenAiClient;
import org.distill4j.openai.Prompt;

/** A teacher behind an OpenAI-compatible endpoint, seen only through its text ({@link OpenAiClient} does the HTTP). */
public final class OpenAiTeacher implements BlackBoxTeacher {
    private final OpenAiClient client;

    public OpenAiTeacher(EndpointSettings settings) {
        this.client = new OpenAiClient(settings);
    }

    /** Responses to text prompts, held in memory only (no resume); fails if any sample could not be had. */
    @Override
    public List<List<String>> respond(List<String> prompts, int n) {
        try (Journal journal = Journal.inMemory()) {
            BatchReport report = client.run(prompts.stream().map(Prompt::ofKey).toList(), n, journal, done -> { });
            if (!report.complete()) {
                EndpointSettings s = client.settings();
                throw new EndpointException("teacher " + s.model() + " at " + s.endpoint() + ": " + report.summary());
            }
            List<List<String>> out = new ArrayList<>(prompts.size());
            for (int p = 0; p < prompts.size(); p++) {
                List<String> samples = new ArrayList<>(n);
                for (int s = 0; s < n; s++) {
                    samples.add(journal.get(p, s).response());
                }
                out.add(samples);
            }
            return out;
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
