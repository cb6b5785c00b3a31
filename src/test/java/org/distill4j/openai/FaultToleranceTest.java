package org.distill4j.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.distill4j.openai.BatchReport.RetryCause;
import org.distill4j.openai.ScriptedServer.Fault;
import org.distill4j.openai.ScriptedServer.Logged;
import org.distill4j.teacher.BlackBoxTeacher;
import org.distill4j.teacher.OpenAiTeacher;
import org.distill4j.teacher.TeachOutput;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whatever the endpoint does wrong, the output ends complete, without duplicates, and retries are counted. */
class FaultToleranceTest {
    static final RetryPolicy FAST = new RetryPolicy(5, Duration.ofMillis(10), Duration.ofMillis(80), Duration.ofSeconds(5));

    @TempDir
    Path tmp;

    /** Short enough to keep the suite fast, long enough that only SLOW replies (2.5 s) ever miss it. */
    static final Duration TIMEOUT = Duration.ofSeconds(1);

    static EndpointSettings settings(ScriptedServer server) {
        return EndpointSettings.of(server.base(), "fake").withConcurrency(6, 0).withTimeouts(TIMEOUT, FAST);
    }

    static List<Prompt> prompts(int count) {
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new Prompt.Text("p" + i));
        }
        return out;
    }

    /** First attempt of prompt i fails by i mod 6 (500, 429, slow, dropped, malformed, fine); some fail twice. */
    static Fault plan(String prompt, int attempt) {
        int i = Integer.parseInt(prompt.substring(1));
        if (attempt == 2 && i % 12 == 0) {
            return Fault.HTTP_500;
        }
        if (attempt > 1) {
            return Fault.NONE;
        }
        return switch (i % 6) {
            case 0 -> Fault.HTTP_500;
            case 1 -> i == 7 ? Fault.RATE_LIMIT_SECONDS : Fault.RATE_LIMIT_MS;
            case 2 -> Fault.SLOW;
            case 3 -> Fault.DROP_MID_BODY;
            case 4 -> Fault.MALFORMED_BODY;
            default -> Fault.NONE;
        };
    }

    @Test
    void everyFaultIsRetriedAndTheOutputIsComplete() throws Exception {
        int prompts = 30;
        int n = 2;
        try (ScriptedServer server = new ScriptedServer(FaultToleranceTest::plan, 0, 2500);
             OpenAiClient teacher = new OpenAiClient(settings(server));
             Journal journal = Journal.open(tmp.resolve("j.journal"), "fp")) {
            // warm up (class loading, JIT, connections): a cold first reply must not pass for a timeout
            assertThat(teacher.run(List.of(new Prompt.Text("p5"), new Prompt.Text("p11")), 1,
                    Journal.inMemory(), k -> { }).retryCount()).isZero();
            int warmUp = server.log().size();
            BatchReport report = teacher.run(prompts(prompts), n, journal, k -> { });
            System.out.println("faults: " + report.summary());
            assertThat(report.complete()).as(report.summary()).isTrue();
            assertThat(report.failures()).isEmpty();

            List<Logged> log = server.log().subList(warmUp, server.log().size());
            assertThat(report.retries(RetryCause.SERVER_ERROR)).isEqualTo(count(log, Fault.HTTP_500)).isEqualTo(8);
            assertThat(report.retries(RetryCause.RATE_LIMITED))
                    .isEqualTo(count(log, Fault.RATE_LIMIT_MS) + count(log, Fault.RATE_LIMIT_SECONDS)).isEqualTo(5);
            assertThat(report.retries(RetryCause.TIMEOUT)).isEqualTo(count(log, Fault.SLOW)).isEqualTo(5);
            assertThat(report.retries(RetryCause.CONNECTION)).isEqualTo(count(log, Fault.DROP_MID_BODY)).isEqualTo(5);
            assertThat(report.retries(RetryCause.MALFORMED)).isEqualTo(count(log, Fault.MALFORMED_BODY)).isEqualTo(5);
            assertThat(report.attempts()).isEqualTo(log.size());
            assertThat(report.summary()).contains("rate limited (429): 5", "timeout: 5");

            // Retry-After: 1 was obeyed: the retry came at least a second after the 429
            List<Logged> p7 = log.stream().filter(l -> l.prompt().equals("p7")).toList();
            assertThat(p7).hasSize(2);
            assertThat(Duration.ofNanos(p7.get(1).nanos() - p7.get(0).nanos())).isGreaterThanOrEqualTo(Duration.ofMillis(950));
            // all attempts of one request carry its one request id
            assertThat(p7.get(0).requestId()).isNotNull().isEqualTo(p7.get(1).requestId());

            List<com.fasterxml.jackson.databind.node.ObjectNode> records = new ArrayList<>();
            for (int i = 0; i < prompts; i++) {
                records.add(Json.object().put("prompt", "p" + i).put("id", i));
            }
            Path out = tmp.resolve("out.jsonl");
            TeachOutput.write(out, records, n, journal);
            List<Jsonl.Line> lines = Jsonl.read(out);
            assertThat(lines).hasSize(prompts * n);
            Set<String> keys = new HashSet<>();
            for (Jsonl.Line l : lines) {
                String prompt = l.value().get("prompt").asText();
                int sample = l.value().get("sample").asInt();
                assertThat(keys.add(prompt + "/" + sample)).as("duplicate %s/%d", prompt, sample).isTrue();
                assertThat(l.value().get("response").asText()).isEqualTo(ScriptedServer.answerText(prompt, sample));
                assertThat(l.value().get("id").asInt()).isEqualTo(Integer.parseInt(prompt.substring(1)));
            }
        }
    }

    @Test
    void givesUpAfterMaxAttemptsOrOnA4xxThenARerunFetchesOnlyWhatIsMissing() throws Exception {
        AtomicBoolean healed = new AtomicBoolean();
        try (ScriptedServer server = new ScriptedServer((prompt, attempt) -> healed.get() ? Fault.NONE
                : prompt.equals("p1") ? Fault.HTTP_500 : prompt.equals("p2") ? Fault.HTTP_400 : Fault.NONE, 0, 0);
             OpenAiClient teacher = new OpenAiClient(settings(server))) {
            Path file = tmp.resolve("resume.journal");
            try (Journal journal = Journal.open(file, "fp")) {
                BatchReport first = teacher.run(prompts(4), 3, journal, k -> { });
                assertThat(first.complete()).isFalse();
                assertThat(first.fetched()).isEqualTo(6);
                assertThat(first.failures()).extracting(BatchReport.Failure::prompt).containsExactlyInAnyOrder(1, 2);
                BatchReport.Failure p1 = first.failures().stream().filter(f -> f.prompt() == 1).findFirst().orElseThrow();
                BatchReport.Failure p2 = first.failures().stream().filter(f -> f.prompt() == 2).findFirst().orElseThrow();
                assertThat(p1.attempts()).isEqualTo(FAST.maxAttempts());
                assertThat(p1.lastError()).contains("500", "boom");
                assertThat(p2.attempts()).isEqualTo(1); // a 400 is the request's fault: never retried
                assertThat(p2.lastError()).contains("400", "bad prompt");
            }
            healed.set(true);
            int before = server.log().size();
            try (Journal journal = Journal.open(file, "fp")) {
                BatchReport second = teacher.run(prompts(4), 3, journal, k -> { });
                assertThat(second.complete()).isTrue();
                assertThat(second.fromJournal()).isEqualTo(6);
                assertThat(second.fetched()).isEqualTo(6);
            }
            assertThat(server.log().subList(before, server.log().size())).extracting(Logged::prompt)
                    .containsExactlyInAnyOrder("p1", "p2");
        }
    }

    @Test
    void theLibraryInterfaceReturnsNResponsesPerPrompt() throws Exception {
        try (ScriptedServer server = new ScriptedServer((p, a) -> a == 1 ? Fault.HTTP_500 : Fault.NONE, 0, 0);
             BlackBoxTeacher teacher = new OpenAiTeacher(settings(server))) {
            List<List<String>> r = teacher.respond(List.of("p0", "p1"), 3);
            assertThat(r).hasSize(2);
            assertThat(r.get(1)).containsExactly("answer to p1 #0", "answer to p1 #1", "answer to p1 #2");
        }
    }

    private static long count(List<Logged> log, Fault f) {
        return log.stream().filter(l -> l.fault() == f).count();
    }
}
