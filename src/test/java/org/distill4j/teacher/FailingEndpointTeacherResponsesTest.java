package org.distill4j.teacher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.distill4j.gad.TeacherResponses;
import org.distill4j.openai.EndpointSettings;
import org.distill4j.openai.OpenAiClient;
import org.distill4j.openai.RetryPolicy;
import org.distill4j.openai.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GAD's endpoint teacher: a prompt whose requests fail for good is reported and skipped; the run goes on. */
class FailingEndpointTeacherResponsesTest {
    @TempDir
    Path tmp;

    @Test
    void failedPromptsAreSkippedAndARerunAsksOnlyForThem() throws Exception {
        List<String> prompts = List.of("p0", "p1", "broken", "p3");
        RetryPolicy fast = new RetryPolicy(3, Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofSeconds(1));
        StringWriter log = new StringWriter();
        try (ScriptedServer server = new ScriptedServer((prompt, attempt) -> prompt.equals("broken")
                ? ScriptedServer.Fault.HTTP_500 : attempt == 1 ? ScriptedServer.Fault.RATE_LIMIT_MS : ScriptedServer.Fault.NONE, 0, 0);
             OpenAiClient teacher = new OpenAiClient(EndpointSettings.of(server.base(), "fake").withConcurrency(2, 0)
                     .withTimeouts(Duration.ofSeconds(5), fast))) {
            TeacherResponses r = TeacherResponses.collect(teacher, prompts, 1, tmp.resolve("t.journal"), new PrintWriter(log, true));
            assertThat(r.get("p0")).hasSize(1);
            assertThat(r.get("p3")).hasSize(1);
            assertThat(r.get("broken")).isEmpty();
            assertThat(log.toString()).contains("1 requests failed for good").contains("skipped");
        }
        // a rerun against a healed endpoint asks only for the missing prompt
        try (ScriptedServer healed = new ScriptedServer((prompt, attempt) -> ScriptedServer.Fault.NONE, 0, 0);
             OpenAiClient teacher = new OpenAiClient(EndpointSettings.of(healed.base(), "fake").withConcurrency(2, 0)
                     .withTimeouts(Duration.ofSeconds(5), fast))) {
            TeacherResponses r = TeacherResponses.collect(teacher, prompts, 1, tmp.resolve("t.journal"), new PrintWriter(new StringWriter(), true));
            assertThat(r.get("broken")).hasSize(1);
            assertThat(healed.log()).extracting(ScriptedServer.Logged::prompt).containsExactly("broken");
        }
    }
}
