package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.distill4j.openai.EndpointSettings;
import org.distill4j.openai.RetryPolicy;
import org.distill4j.openai.ScriptedServer.Fault;
import org.distill4j.openai.ScriptedServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The judge against a scripted chat endpoint: good, malformed, failing and biased judges. */
class LlmJudgeTest {
    static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(40), Duration.ofSeconds(2));
    private static final Pattern QUESTION = Pattern.compile("\\[Question]\\n(q\\d+)\\n");
    private static final Pattern FIRST_ANSWER = Pattern.compile("\\[The Start of Assistant 1's Answer]\\n(\\w+)\\n");

    private ScriptedServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** q3 of a judge prompt. */
    static String question(String prompt) {
        Matcher m = QUESTION.matcher(prompt);
        assertThat(m.find()).as(prompt).isTrue();
        return m.group(1);
    }

    /** Whether the student's answer (s0, s1, ...) was shown first. */
    static boolean swapped(String prompt) {
        Matcher m = FIRST_ANSWER.matcher(prompt);
        assertThat(m.find()).as(prompt).isTrue();
        return m.group(1).startsWith("s");
    }

    static List<LlmJudge.Item> items(int count) {
        List<LlmJudge.Item> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new LlmJudge.Item("q" + i, "s" + i, "r" + i));
        }
        return out;
    }

    private LlmJudge judge(int reasks, boolean bothOrders) {
        return new LlmJudge(EndpointSettings.of(server.base(), "judge-model").withConcurrency(4, 0)
                .withTimeouts(Duration.ofSeconds(5), FAST), reasks, bothOrders);
    }

    /** Replies by question: q0 fine; q1 malformed then fine; q2 always malformed; q3 500 then fine; q4 out of range then fine; q5 HTTP 400. */
    private static String reply(String prompt, int attempt) {
        return switch (question(prompt)) {
            case "q0" -> "8 7\nAssistant 1 is more detailed.";
            case "q1" -> attempt == 1 ? "Both answers are helpful and accurate." : "Assistant 1: 6\nAssistant 2: 9\nThe second is better.";
            case "q2" -> "I cannot decide.";
            case "q3" -> "9 9";
            case "q4" -> attempt == 1 ? "0 11" : "7/10 and 7/10";
            default -> "8 8";
        };
    }

    private static Fault fault(String prompt, int attempt) {
        return switch (question(prompt)) {
            case "q3" -> attempt == 1 ? Fault.HTTP_500 : Fault.NONE;
            case "q5" -> Fault.HTTP_400;
            default -> Fault.NONE;
        };
    }

    @Test
    void scoresRetriesAndUnjudgedExamples() throws Exception {
        server = new ScriptedServer(LlmJudgeTest::fault, (p, attempt, k) -> reply(p, attempt), 0, 0);
        JudgeReport report;
        List<Integer> progress = new ArrayList<>();
        try (LlmJudge judge = judge(2, false)) {
            report = judge.judge(items(6), progress::add);
        }
        List<JudgeReport.Verdict> v = report.verdicts();
        assertThat(v).hasSize(6).extracting(JudgeReport.Verdict::index).containsExactly(0, 1, 2, 3, 4, 5);
        // Assistant 1 is the reference: "8 7" gives the student 7 and the reference 8
        assertThat(v.get(0).student()).isEqualTo(7);
        assertThat(v.get(0).reference()).isEqualTo(8);
        assertThat(v.get(0).forward().reply()).startsWith("8 7");
        assertThat(v.get(0).asks()).isEqualTo(1);
        assertThat(v.get(1).student()).isEqualTo(9);
        assertThat(v.get(1).reference()).isEqualTo(6);
        assertThat(v.get(1).asks()).isEqualTo(2);
        // always malformed: asked 1 + 2 times, then unjudged with the reason
        assertThat(v.get(2).judged()).isFalse();
        assertThat(v.get(2).asks()).isEqualTo(3);
        assertThat(v.get(2).unjudged()).contains("unusable reply after 3 asks", "I cannot decide.");
        // the 500 was retried at the HTTP level, not counted as an ask
        assertThat(v.get(3).student()).isEqualTo(9);
        assertThat(v.get(3).asks()).isEqualTo(1);
        assertThat(v.get(4).student()).isEqualTo(7);
        assertThat(v.get(4).asks()).isEqualTo(2);
        // a 400 is final: unjudged without asking again
        assertThat(v.get(5).judged()).isFalse();
        assertThat(v.get(5).asks()).isZero();
        assertThat(v.get(5).unjudged()).contains("400", "bad prompt");

        assertThat(report.judged()).isEqualTo(4);
        assertThat(report.unjudged()).isEqualTo(2);
        // judged (student, reference): (7, 8), (9, 6), (9, 9), (7, 7)
        assertThat(report.score()).isCloseTo(32.0 / 62, within(1e-12));
        assertThat(report.meanRatio()).isCloseTo((7.0 / 15 + 9.0 / 15 + 0.5 + 0.5) / 4, within(1e-12));
        assertThat(report.meanStudent()).isEqualTo(8.0);
        assertThat(report.meanReference()).isEqualTo(7.5);
        assertThat(report.httpRetries()).isEqualTo(1);
        assertThat(report.reasks()).isEqualTo(4); // q1, q2, q4 once, q2 again
        List<ScriptedServer.Logged> log = server.log();
        assertThat(report.httpAttempts()).isEqualTo(log.size()).isEqualTo(6 + 1 + 4);
        assertThat(progress.stream().mapToInt(Integer::intValue).sum()).isEqualTo(5); // first-pass replies (not q5)

        JsonNode body = log.getFirst().body();
        assertThat(body.get("model").asText()).isEqualTo("judge-model");
        assertThat(body.get("temperature").asDouble()).isZero();
        assertThat(body.get("n").asInt()).isEqualTo(1);
        JsonNode messages = body.get("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).get("role").asText()).isEqualTo("system");
        assertThat(messages.get(0).get("content").asText()).isEqualTo(JudgePrompt.SYSTEM);
        assertThat(messages.get(1).get("role").asText()).isEqualTo("user");
        String q0 = log.stream().map(ScriptedServer.Logged::prompt).filter(p -> question(p).equals("q0")).findFirst().orElseThrow();
        assertThat(q0).isEqualTo(JudgePrompt.user("q0", "r0", "s0"));
        assertThat(q0).startsWith("[Question]\nq0\n\n[The Start of Assistant 1's Answer]\nr0\n\n")
                .contains("[The Start of Assistant 2's Answer]\ns0\n\n").endsWith(JudgePrompt.TASK + "\n\n");
    }

    @Test
    void withoutReasksAMalformedReplyIsUnjudgedAtOnce() throws Exception {
        server = new ScriptedServer((p, a) -> Fault.NONE, (p, attempt, k) -> reply(p, attempt), 0, 0);
        try (LlmJudge judge = judge(0, false)) {
            JudgeReport report = judge.judge(items(3), k -> { });
            assertThat(report.judged()).isEqualTo(1);
            assertThat(report.verdicts().get(1).unjudged()).contains("unusable reply after 1 ask:");
            assertThat(report.reasks()).isZero();
            assertThat(server.log()).hasSize(3);
        }
    }

    @Test
    void bothOrdersCancelAPositionBias() throws Exception {
        // a judge that always prefers whichever answer it saw first
        server = new ScriptedServer((p, a) -> Fault.NONE, (p, attempt, k) -> "8 6", 0, 0);
        try (LlmJudge judge = judge(1, true)) {
            JudgeReport report = judge.judge(items(3), k -> { });
            assertThat(report.judged()).isEqualTo(3);
            for (JudgeReport.Verdict v : report.verdicts()) {
                assertThat(v.forward().student()).isEqualTo(6);
                assertThat(v.forward().reference()).isEqualTo(8);
                assertThat(v.reversed().student()).isEqualTo(8);
                assertThat(v.reversed().reference()).isEqualTo(6);
                assertThat(v.student()).isEqualTo(7);
                assertThat(v.reference()).isEqualTo(7);
                assertThat(v.asks()).isEqualTo(2);
            }
            assertThat(report.score()).isEqualTo(0.5);
        }
        List<ScriptedServer.Logged> log = server.log();
        assertThat(log).hasSize(6);
        assertThat(log.stream().filter(l -> swapped(l.prompt()))).hasSize(3);
        assertThat(log.stream().map(ScriptedServer.Logged::prompt)).contains(JudgePrompt.user("q1", "s1", "r1"));
    }

    @Test
    void anExampleNeedsBothOrdersJudged() throws Exception {
        // q1's swapped order never yields scores
        server = new ScriptedServer((p, a) -> Fault.NONE,
                (p, attempt, k) -> question(p).equals("q1") && swapped(p) ? "no idea" : "5 9", 0, 0);
        try (LlmJudge judge = judge(1, true)) {
            JudgeReport report = judge.judge(items(2), k -> { });
            assertThat(report.judged()).isEqualTo(1);
            JudgeReport.Verdict bad = report.verdicts().get(1);
            assertThat(bad.judged()).isFalse();
            assertThat(bad.unjudged()).startsWith("swapped order: unusable reply after 2 asks");
            assertThat(bad.asks()).isEqualTo(3);
            JudgeReport.Verdict good = report.verdicts().get(0);
            assertThat(good.student()).isEqualTo((9 + 5) / 2.0);
            assertThat(good.reference()).isEqualTo((5 + 9) / 2.0);
        }
    }

    @Test
    void nothingJudgedGivesNaNAggregatesNotACrash() throws Exception {
        server = new ScriptedServer((p, a) -> Fault.HTTP_500, 0, 0);
        try (LlmJudge judge = judge(2, false)) {
            JudgeReport report = judge.judge(items(2), k -> { });
            assertThat(report.judged()).isZero();
            assertThat(report.unjudged()).isEqualTo(2);
            assertThat(report.score()).isNaN();
            assertThat(report.meanRatio()).isNaN();
            assertThat(report.verdicts().get(0).unjudged()).contains("request failed after 3 attempts", "500");
            assertThat(server.log()).hasSize(2 * FAST.maxAttempts());
        }
    }

    @Test
    void emptyInputIsAnEmptyReport() throws Exception {
        server = new ScriptedServer((p, a) -> Fault.NONE, 0, 0);
        try (LlmJudge judge = judge(2, true)) {
            JudgeReport report = judge.judge(List.of(), k -> { });
            assertThat(report.verdicts()).isEmpty();
            assertThat(server.log()).isEmpty();
        }
    }
}
