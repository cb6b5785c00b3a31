package org.distill4j.teacher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.cli.Main;
import org.distill4j.lm.LanguageModel;
import org.distill4j.openai.EndpointException;
import org.distill4j.openai.EndpointSettings;
import org.distill4j.openai.OpenAiClient;
import org.distill4j.openai.RetryPolicy;
import org.distill4j.serve.ChatTemplate;
import org.distill4j.serve.OpenAiServer;
import org.distill4j.serve.ServeConfig;
import org.distill4j.serve.TinyModel;
import org.distill4j.util.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `distill teach` against `distill serve` in-process: 50 prompts x n = 4, every prompt exactly 4 times. */
class EndToEndTeachTest {
    @TempDir
    Path tmp;

    @Test
    void fiftyPromptsTimesFour() throws Exception {
        Path prompts = tmp.resolve("prompts.jsonl");
        List<String> words = TinyModel.words();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            s.append("{\"prompt\": \"").append(words.get(i % 26)).append(' ').append(words.get(26 + i % 34))
                    .append("\", \"id\": ").append(i).append("}\n");
        }
        Files.writeString(prompts, s);
        Path out = tmp.resolve("out.jsonl");
        try (LanguageModel lm = LanguageModel.load(TinyModel.write(tmp.resolve("tiny")));
             OpenAiServer server = OpenAiServer.start(lm, ServeConfig.loopback("tiny"), new ChatTemplate.Default())) {
            for (boolean chat : new boolean[] {false, true}) {
                Path target = chat ? tmp.resolve("chat.jsonl") : out;
                long stepsBefore = server.stats().decodingSteps();
                long rowsBefore = server.stats().decodedRows();
                long start = System.nanoTime();
                StringWriter err = new StringWriter();
                List<String> args = new ArrayList<>(List.of("teach", "--endpoint", server.baseUri().toString(),
                        "--model", "tiny", "--prompts", prompts.toString(), "--out", target.toString(), "--n", "4",
                        "--concurrency", "16", "--max-tokens", "8", "--temperature", "1"));
                if (chat) {
                    args.add("--chat");
                }
                int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                        args.toArray(String[]::new));
                double seconds = (System.nanoTime() - start) / 1e9;
                assertThat(code).as(err.toString()).isZero();
                assertThat(err.toString()).contains("0 retries", "0 failed requests");
                List<Jsonl.Line> lines = Jsonl.read(target);
                assertThat(lines).hasSize(200);
                Map<Integer, Integer> perPrompt = new HashMap<>();
                Set<String> keys = new HashSet<>();
                for (Jsonl.Line l : lines) {
                    int id = l.value().get("id").asInt();
                    perPrompt.merge(id, 1, Integer::sum);
                    assertThat(keys.add(id + "/" + l.value().get("sample").asInt())).isTrue();
                    assertThat(l.value().get("response").isTextual()).isTrue();
                    assertThat(l.value().get("prompt").isTextual()).isTrue();
                }
                assertThat(perPrompt).hasSize(50).allSatisfy((id, count) -> assertThat(count).isEqualTo(4));
                long steps = server.stats().decodingSteps() - stepsBefore;
                long rows = server.stats().decodedRows() - rowsBefore;
                System.out.printf("e2e %s: 50 prompts x 4 in %.2f s (%.0f requests/s, %.0f samples/s), %d tokens in %d decoding steps%n",
                        chat ? "chat" : "completions", seconds, 50 / seconds, 200 / seconds, rows, steps);
                assertThat(rows).as("concurrent requests share decoding steps").isGreaterThan(4 * steps);
            }
        }
    }

    @Test
    void theLibraryClientSendsTheApiKey() throws Exception {
        try (LanguageModel lm = LanguageModel.load(TinyModel.write(tmp.resolve("tiny")));
             OpenAiServer server = OpenAiServer.start(lm, ServeConfig.loopback("tiny").withApiKey("k-123"),
                     new ChatTemplate.Default())) {
            EndpointSettings settings = EndpointSettings.of(server.baseUri(), "tiny").withSampling(1.0, 4);
            try (OpenAiTeacher teacher = new OpenAiTeacher(settings.withApiKey("k-123"))) {
                List<List<String>> r = teacher.respond(List.of("a b", "c"), 2);
                assertThat(r).hasSize(2).allSatisfy(samples -> assertThat(samples).hasSize(2));
            }
            try (OpenAiTeacher wrongKey = new OpenAiTeacher(settings.withApiKey("nope"));
                 OpenAiTeacher wrongModel = new OpenAiTeacher(EndpointSettings.of(URI.create(server.baseUri() + "/completions"), "gpt")
                         .withApiKey("k-123").withTimeouts(Duration.ofSeconds(5), RetryPolicy.DEFAULT))) {
                assertThatThrownBy(() -> wrongKey.respond(List.of("a"), 1)).isInstanceOf(EndpointException.class)
                        .hasMessageContaining("401").hasMessageContaining("Incorrect API key");
                assertThatThrownBy(() -> wrongModel.respond(List.of("a"), 1)).isInstanceOf(EndpointException.class)
                        .hasMessageContaining("404").hasMessageContaining("'gpt' does not exist");
            }
        }
    }
}
