package org.distill4j.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.distill4j.openai.Journal;
import org.distill4j.openai.JournalEntry;
import org.distill4j.openai.OpenAiClient;
import org.distill4j.openai.BatchReport;
import org.distill4j.openai.Prompt;
import org.distill4j.openai.EndpointSettings;

/**
 * Scores a student answer and a reference answer to the same instruction, 1–10 each, by an LLM behind
 * an OpenAI-compatible chat endpoint, with the pairwise prompt of {@link JudgePrompt} (reference =
 * Assistant 1, student = Assistant 2) at temperature 0.
 * <p>
 * The HTTP side is {@link OpenAiClient}'s: bounded concurrency, rate limit, retries with backoff on
 * 429 / 5xx / timeouts / dropped connections / unparseable JSON. On top of it, a reply whose scores
 * cannot be read ({@link JudgeReply}) is asked again, up to {@code reasks} times; an example still
 * without scores after that, or whose request failed for good, is reported as unjudged and left out
 * of the aggregates: one bad example never stops a run.
 * <p>
 * Judges favour one position (usually the first); with {@code bothOrders} every example is also judged
 * with the answers swapped, and its scores are the means of the two readings (it counts as judged only
 * when both orders were).
 */
public final class LlmJudge implements AutoCloseable {
    /** One example: the instruction, the student's response and the reference (teacher) response. */
    public record Item(String instruction, String response, String reference) {}

    private final OpenAiClient client;
    private final int reasks;
    private final boolean bothOrders;

    /**
     * @param settings   endpoint, model, key, concurrency, timeouts and HTTP retries; the chat endpoint,
     *                   temperature 0 and one sample per request are imposed
     * @param reasks     times a request with an unusable reply is asked again (0: never)
     * @param bothOrders also judge every example with the answers swapped
     */
    public LlmJudge(EndpointSettings settings, int reasks, boolean bothOrders) {
        if (reasks < 0) {
            throw new IllegalArgumentException("re-asks must be >= 0, got " + reasks);
        }
        this.client = new OpenAiClient(settings.withChat(true).withSampling(0.0, settings.maxTokens())
                .withMaxSamplesPerRequest(1));
        this.reasks = reasks;
        this.bothOrders = bothOrders;
    }

    /** Requests made per example: 1, or 2 with both orders. */
    public int ordersPerItem() {
        return bothOrders ? 2 : 1;
    }

    /**
     * Judges every item.
     *
     * @param progress told the number of judge replies newly received in the first pass, as they come
     */
    public JudgeReport judge(List<Item> items, IntConsumer progress) {
        int orders = ordersPerItem();
        int requests = items.size() * orders;
        JudgeReply.Scores[] scores = new JudgeReply.Scores[requests];
        String[] replies = new String[requests];
        String[] problems = new String[requests];
        int[] asks = new int[requests];
        long attempts = 0;
        long retries = 0;
        int reasked = 0;
        List<Integer> pending = new ArrayList<>();
        for (int r = 0; r < requests; r++) {
            pending.add(r);
        }
        for (int round = 0; round <= reasks && !pending.isEmpty(); round++) {
            if (round > 0) {
                reasked += pending.size();
            }
            List<Prompt> prompts = new ArrayList<>(pending.size());
            for (int r : pending) {
                Item item = items.get(r / orders);
                boolean swapped = r % orders == 1;
                prompts.add(swapped ? JudgePrompt.conversation(item.instruction(), item.response(), item.reference())
                        : JudgePrompt.conversation(item.instruction(), item.reference(), item.response()));
            }
            List<Integer> again = new ArrayList<>();
            try (Journal journal = Journal.inMemory()) {
                BatchReport report = client.run(prompts, 1, journal, round == 0 ? progress : k -> { });
                attempts += report.attempts();
                retries += report.retryCount();
                Map<Integer, BatchReport.Failure> failed = new HashMap<>();
                report.failures().forEach(f -> failed.put(f.prompt(), f));
                for (int p = 0; p < pending.size(); p++) {
                    int r = pending.get(p);
                    JournalEntry entry = journal.get(p, 0);
                    if (entry == null) { // the HTTP retries are spent already: asking again would only repeat them
                        BatchReport.Failure f = failed.get(p);
                        problems[r] = f == null ? "no reply" : "request failed after " + f.attempts() + " attempts: " + f.lastError();
                        continue;
                    }
                    asks[r]++;
                    replies[r] = entry.response();
                    switch (JudgeReply.parse(entry.response())) {
                        case JudgeReply.Scores s -> {
                            scores[r] = s;
                            problems[r] = null;
                        }
                        case JudgeReply.Unusable u -> {
                            problems[r] = "unusable reply after " + asks[r] + (asks[r] == 1 ? " ask: " : " asks: ") + u.why();
                            again.add(r);
                        }
                    }
                }
            }
            pending = again;
        }
        List<JudgeReport.Verdict> verdicts = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            verdicts.add(verdict(i, orders, scores, replies, problems, asks));
        }
        return new JudgeReport(verdicts, attempts, retries, reasked);
    }

    private static JudgeReport.Verdict verdict(int i, int orders, JudgeReply.Scores[] scores, String[] replies,
                                               String[] problems, int[] asks) {
        int f = i * orders;
        int totalAsks = orders == 2 ? asks[f] + asks[f + 1] : asks[f];
        for (int o = 0; o < orders; o++) {
            if (scores[f + o] == null) {
                String why = problems[f + o] == null ? "not judged" : problems[f + o];
                return new JudgeReport.Verdict(i, null, null, totalAsks, o == 1 ? "swapped order: " + why : why);
            }
        }
        // forward: reference is Assistant 1, student Assistant 2; swapped: the other way round
        JudgeReport.Reading forward = new JudgeReport.Reading(scores[f].second(), scores[f].first(), replies[f]);
        JudgeReport.Reading reversed = orders == 2
                ? new JudgeReport.Reading(scores[f + 1].first(), scores[f + 1].second(), replies[f + 1]) : null;
        return new JudgeReport.Verdict(i, forward, reversed, totalAsks, null);
    }

    @Override
    public void close() {
        client.close();
    }
}
