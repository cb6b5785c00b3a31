package org.distill4j.gad;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.data.Conversation;
import org.distill4j.data.Example;
import org.distill4j.data.PromptTemplate;
import org.distill4j.teacher.BlackBoxTeacher;
import org.distill4j.openai.Journal;
import org.distill4j.openai.OpenAiClient;
import org.distill4j.openai.BatchReport;
import org.distill4j.openai.Prompt;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;

/**
 * What a black-box teacher answered, as text, by prompt (one or more responses per prompt). Read
 * from a JSONL file of {@code {"prompt", "response"}} rows (or {@code {"messages", "response"}} for conversations,
 * keyed by {@link Conversation#key()}), or collected from a teacher and written as such a file, which a resumed run
 * reads back instead of asking again.
 */
public final class TeacherResponses {
    private final Map<String, List<String>> byPrompt;

    private TeacherResponses(Map<String, List<String>> byPrompt) {
        this.byPrompt = byPrompt;
    }

    /** Rows {@code {"prompt": ..., "response": ...}}; several rows may share a prompt. */
    public static TeacherResponses read(Path file) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (Jsonl.Line l : Jsonl.read(file)) {
            String prompt = Conversation.promptKey(l, file);
            if (!l.value().path("response").isTextual()) {
                throw new UserError(file + ":" + l.number() + ": field 'response' must be a string");
            }
            m.computeIfAbsent(prompt, k -> new ArrayList<>()).add(l.value().get("response").asText());
        }
        return new TeacherResponses(m);
    }

    /** {@code n} responses to every prompt from a teacher that answers in full (e.g. a local checkpoint). */
    public static TeacherResponses collect(BlackBoxTeacher teacher, List<String> prompts, int n) {
        List<List<String>> answers = teacher.respond(prompts, n);
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            m.computeIfAbsent(prompts.get(i), k -> new ArrayList<>()).addAll(answers.get(i));
        }
        return new TeacherResponses(m);
    }

    /**
     * Responses from an OpenAI-compatible endpoint, journalled in {@code journalFile} so that a rerun never
     * asks twice. Requests that still fail after the client's retries are reported on {@code log} and
     * their prompts left without a response (the caller skips and counts them): the run goes on.
     */
    public static TeacherResponses collect(OpenAiClient teacher, List<String> prompts, int n, Path journalFile, PrintWriter log) {
        List<Prompt> asked = prompts.stream().map(Prompt::ofKey).toList();
        try (Journal journal = Journal.open(journalFile, teacher.fingerprint(asked))) {
            BatchReport report = teacher.run(asked, n, journal, k -> { });
            log.println("teacher: " + report.summary());
            if (!report.complete()) {
                log.println("teacher: " + report.failures().size() + " requests failed for good; their prompts are skipped "
                        + "(rerun to ask again: the " + (report.fromJournal() + report.fetched()) + " responses in " + journalFile
                        + " are kept)");
            }
            log.flush();
            Map<String, List<String>> m = new LinkedHashMap<>();
            for (int p = 0; p < prompts.size(); p++) {
                for (int s = 0; s < n; s++) {
                    if (journal.contains(p, s)) {
                        m.computeIfAbsent(prompts.get(p), k -> new ArrayList<>()).add(journal.get(p, s).response());
                    }
                }
            }
            return new TeacherResponses(m);
        }
    }

    public List<String> get(String prompt) {
        return byPrompt.getOrDefault(prompt, List.of());
    }

    /** Writes the rows atomically. */
    public void write(Path file) {
        List<ObjectNode> rows = new ArrayList<>();
        byPrompt.forEach((p, rs) -> rs.forEach(r -> {
            Conversation c = Conversation.fromKey(p);
            ObjectNode o = c == null ? Json.object().put("prompt", p) : c.json(); // a conversation as sft reads it
            o.put("response", r);
            rows.add(o);
        }));
        Jsonl.write(file, rows);
    }

    /**
     * Training pairs for {@code prompts}, in the student's tokens. Prompts without a teacher response and
     * empty responses are skipped and counted; a response longer than {@code maxResponseTokens} (EOS
     * included) is cut there and counted; prompts that leave no room for {@code maxResponseTokens} new
     * tokens within {@code maxPositions} are skipped and counted.
     */
    public Pairing pair(List<String> prompts, PromptTemplate template, int maxResponseTokens, int maxPositions) {
        List<Example> out = new ArrayList<>();
        int missing = 0;
        int empty = 0;
        int truncated = 0;
        int tooLong = 0;
        for (String p : prompts) {
            List<String> rs = get(p);
            if (rs.isEmpty()) {
                missing++;
                continue;
            }
            long[] prompt = template.promptOfKey(p);
            if (prompt.length + maxResponseTokens > maxPositions) {
                tooLong++;
                continue;
            }
            for (String r : rs) {
                if (r.isBlank()) {
                    empty++;
                    continue;
                }
                long[] y = template.response(r);
                if (y.length > maxResponseTokens) {
                    y = java.util.Arrays.copyOf(y, maxResponseTokens);
                    truncated++;
                }
                out.add(new Example(prompt, y));
            }
        }
        return new Pairing(out, missing, empty, truncated, tooLong);
    }

    /** Training pairs and what was left out. */
    public record Pairing(List<Example> examples, int missingPrompts, int emptyResponses, int truncatedResponses, int tooLongPrompts) {
        public String summary() {
            return String.format("%d (prompt, teacher response) pairs; skipped: %d prompts without a teacher response, "
                    + "%d empty responses, %d prompts too long; %d responses cut to the length cap",
                    examples.size(), missingPrompts, emptyResponses, tooLongPrompts, truncatedResponses);
        }
    }
}
