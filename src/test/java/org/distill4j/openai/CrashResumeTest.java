package org.distill4j.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.distill4j.cli.Main;
import org.distill4j.openai.ScriptedServer.Fault;
import org.distill4j.openai.ScriptedServer.Logged;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `distill teach` killed with SIGKILL mid-run, then rerun: the output is complete without duplicates,
 * and no (prompt, sample) journalled before the kill is ever requested again.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // starts child processes: a hung child must not hang the suite
class CrashResumeTest {
    static final int PROMPTS = 50;
    static final int N = 4;

    @TempDir
    Path tmp;

    @Test
    void killedMidRunThenResumed() throws Exception {
        Path prompts = tmp.resolve("prompts.jsonl");
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < PROMPTS; i++) {
            s.append("{\"prompt\": \"q").append(i).append("\", \"id\": ").append(i).append("}\n");
        }
        Files.writeString(prompts, s);
        Path out = tmp.resolve("out.jsonl");
        Path journal = tmp.resolve("out.jsonl.journal");
        try (ScriptedServer server = new ScriptedServer((p, a) -> Fault.NONE, 25, 0)) {
            String[] args = {"teach", "--endpoint", server.base().toString(), "--model", "fake",
                    "--prompts", prompts.toString(), "--out", out.toString(), "--n", "" + N,
                    "--concurrency", "4", "--samples-per-request", "2", "--timeout", "5"};
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "org.distill4j.cli.Main"));
            command.addAll(List.of(args));
            Process child = new ProcessBuilder(command)
                    .redirectOutput(tmp.resolve("child.out").toFile())
                    .redirectError(tmp.resolve("child.err").toFile())
                    .start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (entryLines(journal) < 30) { // 15 of 100 requests journalled: well under way
                    assertThat(child.isAlive()).as("child ended early: %s", Files.readString(tmp.resolve("child.err"))).isTrue();
                    assertThat(System.nanoTime()).as("child made no progress").isLessThan(deadline);
                    Thread.sleep(2);
                }
            } finally {
                child.destroyForcibly(); // SIGKILL: no shutdown hook, no finally blocks in the child
                child.waitFor(10, TimeUnit.SECONDS);
            }
            assertThat(out).doesNotExist();

            Map<String, String> journalled = journalled(journal);
            assertThat(journalled.size()).isBetween(30, PROMPTS * N - 1);
            Map<Integer, Integer> donePerPrompt = new HashMap<>();
            journalled.keySet().forEach(k -> donePerPrompt.merge(Integer.parseInt(k.split("/")[0]), 1, Integer::sum));
            int mark = server.log().size();

            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
            assertThat(code).as(err.toString()).isZero();

            // the rerun asked each prompt only for the samples the journal lacked
            List<Logged> rerun = server.log().subList(mark, server.log().size());
            Map<Integer, Integer> askedPerPrompt = new HashMap<>();
            for (Logged l : rerun) {
                askedPerPrompt.merge(Integer.parseInt(l.prompt().substring(1)), l.n(), Integer::sum);
            }
            for (int p = 0; p < PROMPTS; p++) {
                assertThat(askedPerPrompt.getOrDefault(p, 0)).as("prompt %d", p)
                        .isEqualTo(N - donePerPrompt.getOrDefault(p, 0));
            }

            List<Jsonl.Line> lines = Jsonl.read(out);
            assertThat(lines).hasSize(PROMPTS * N);
            Set<String> keys = new HashSet<>();
            Map<Integer, Integer> perPrompt = new HashMap<>();
            for (Jsonl.Line l : lines) {
                int id = l.value().get("id").asInt();
                String key = id + "/" + l.value().get("sample").asInt();
                assertThat(keys.add(key)).as("duplicate " + key).isTrue();
                perPrompt.merge(id, 1, Integer::sum);
                if (journalled.containsKey(key)) { // a paid response is kept, not replaced
                    assertThat(l.value().get("response").asText()).isEqualTo(journalled.get(key));
                }
            }
            assertThat(perPrompt).hasSize(PROMPTS).allSatisfy((p, count) -> assertThat(count).isEqualTo(N));
            System.out.println("crash: killed after " + journalled.size() + " journalled samples; rerun sent "
                    + rerun.size() + " requests");
        }
    }

    private static int entryLines(Path journal) throws Exception {
        if (!Files.exists(journal)) {
            return 0;
        }
        byte[] b = Files.readAllBytes(journal);
        int lines = 0;
        for (byte x : b) {
            if (x == '\n') {
                lines++;
            }
        }
        return Math.max(0, lines - 1); // minus the header
    }

    /** (prompt/sample) -> response of every complete entry line. */
    private static Map<String, String> journalled(Path journal) throws Exception {
        String text = Files.readString(journal, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        Map<String, String> out = new HashMap<>();
        for (int i = 1; i < lines.length - 1; i++) { // the last piece is empty or a torn line
            JsonNode e = Json.MAPPER.readTree(lines[i]);
            out.put(e.get("prompt").asInt() + "/" + e.get("sample").asInt(), e.get("response").asText());
        }
        return out;
    }
}
