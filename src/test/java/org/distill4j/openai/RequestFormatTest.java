package org.distill4j.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.distill4j.openai.ScriptedServer.Fault;
import org.distill4j.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the client writes: request bodies, the journal's lines, and the bytes behind a journal's fingerprint. The
 * fingerprint must not move (a journal written by an earlier version is resumed only when it matches), so the values
 * were taken from the version that built this JSON node by node.
 */
class RequestFormatTest {
    private static final List<Prompt> PROMPTS = List.of(new Prompt.Text("a b"),
            new Prompt.Conversation(List.of(new Prompt.Turn("system", "be brief"), new Prompt.Turn("user", "é \"x\""))));

    @TempDir
    Path tmp;

    @Test
    void fingerprintIsStable() {
        EndpointSettings plain = EndpointSettings.of(URI.create("http://127.0.0.1:9/v1"), "m");
        try (OpenAiClient a = new OpenAiClient(plain);
             OpenAiClient b = new OpenAiClient(plain.withChat(true).withSampling(0.7, 64))) {
            assertThat(a.fingerprint(PROMPTS)).isEqualTo("c779057f7ec994214d338ae06517b6a0e7b597fb47bc086c379dd243cbff6905");
            assertThat(b.fingerprint(PROMPTS)).isEqualTo("bb9233a0fbc29fa8671253c34f65d2de6e436a78d709fb18b7af654c981f52a0");
        }
    }

    @Test
    void requestBodiesAndJournalLines() throws Exception {
        try (ScriptedServer server = new ScriptedServer((p, a) -> Fault.NONE, 0, 0)) {
            EndpointSettings base = EndpointSettings.of(server.base(), "m").withConcurrency(1, 0);
            Path file = tmp.resolve("j.journal");
            try (OpenAiClient completions = new OpenAiClient(base);
                 OpenAiClient chat = new OpenAiClient(base.withChat(true).withSampling(0.5, 7));
                 Journal journal = Journal.open(file, "fp")) {
                completions.run(List.of(PROMPTS.get(0)), 2, journal, k -> { });
                chat.run(PROMPTS, 1, Journal.inMemory(), k -> { });
            }
            List<String> bodies = server.log().stream().sorted(Comparator.comparing(l -> l.body().toString()))
                    .map(l -> Json.compact(l.body())).toList();
            assertThat(bodies).containsExactly(
                    "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                            + "{\"role\":\"user\",\"content\":\"é \\\"x\\\"\"}],\"n\":1,\"temperature\":0.5,\"max_tokens\":7}",
                    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a b\"}],\"n\":1,\"temperature\":0.5,"
                            + "\"max_tokens\":7}",
                    "{\"model\":\"m\",\"prompt\":\"a b\",\"n\":2}");
            List<String> lines = Files.readAllLines(file);
            assertThat(lines.get(0)).isEqualTo("{\"format\":\"distill4j-teacher-journal\",\"version\":1,\"fingerprint\":\"fp\"}");
            assertThat(lines.get(1).replaceAll("\"request_id\":\"[^\"]*\"", "\"request_id\":\"R\"")
                    .replaceAll("\"response_id\":\"[^\"]*\"", "\"response_id\":\"I\"")).isEqualTo(
                    "{\"prompt\":0,\"sample\":0,\"request_id\":\"R\",\"response_id\":\"I\",\"response\":\"answer to a b #0\","
                            + "\"finish_reason\":\"stop\"}");
        }
    }
}
