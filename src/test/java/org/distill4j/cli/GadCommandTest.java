package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.gad.TinyStudent;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gad and seqkd verbs end to end on tiny checkpoints, and their input errors. */
class GadCommandTest {
    @TempDir
    Path tmp;

    private Path prompts(String name, int n, long seed) throws Exception {
        StringBuilder b = new StringBuilder();
        for (String p : TinyStudent.promptTexts(n, seed)) {
            b.append("{\"prompt\": \"").append(p).append("\"}\n");
        }
        return Files.writeString(tmp.resolve(name), b.toString());
    }

    private static List<JsonNode> metrics(Path out) {
        List<JsonNode> rows = new ArrayList<>();
        Jsonl.read(out.resolve("metrics.jsonl")).forEach(l -> rows.add(l.value()));
        return rows;
    }

    @Test
    void gadWithALocalTextOnlyTeacherTrainsEvaluatesAndReports() throws Exception {
        Path student = TinyStudent.write(tmp.resolve("student"), 1);
        Path teacher = TinyStudent.write(tmp.resolve("teacher"), 2);
        Path out = tmp.resolve("gad");
        CliErrorsTest.Result r = CliErrorsTest.run("gad", "--student", student.toString(), "--teacher", teacher.toString(),
                "--prompts", prompts("p.jsonl", 16, 1).toString(), "--val-prompts", prompts("v.jsonl", 4, 9).toString(),
                "--oracle", teacher.toString(), "--out", out.toString(), "--gad-warmup-steps", "3", "--d-alone-steps", "1",
                "--max-steps", "6", "--samples", "3", "--prompts-per-step", "4", "--max-new-tokens", "8", "--teacher-max-tokens", "8",
                "--eval-every", "3");
        assertThat(r.code()).as(r.err()).isEqualTo(0);
        assertThat(r.out()).contains("discriminator");
        List<JsonNode> rows = metrics(out);
        assertThat(rows).hasSize(7);
        for (String k : List.of("f1_1", "rouge_l", "oracle_ll_tok", "eval_len")) {
            assertThat(rows.get(0).has(k)).as(k).isTrue();
        }
        JsonNode last = rows.get(6);
        assertThat(last.get("phase").asText()).isEqualTo("gad");
        for (String k : List.of("reward_mean", "reward_group_std", "d_acc", "d_loss", "pg_loss", "kl_ref", "sample_len", "f1_4")) {
            assertThat(last.has(k)).as(k).isTrue();
        }
        assertThat(Files.readAllLines(out.resolve("teacher-responses.jsonl"))).hasSize(16);
        assertThat(CliErrorsTest.run("report", out.toString()).code()).isEqualTo(0);
        assertThat(Json.read(out.resolve("summary.json")).path("methods").path("gad").has("f1_1")).isTrue();
    }

    @Test
    void seqkdFromAResponsesFileSkipsAndCountsMissingPrompts() throws Exception {
        Path student = TinyStudent.write(tmp.resolve("student"), 1);
        Path responses = Files.writeString(tmp.resolve("r.jsonl"), "{\"prompt\": \"w1 w2\", \"response\": \"w3 w4\"}\n"
                + "{\"prompt\": \"w5\", \"response\": \"\"}\n");
        Path p = Files.writeString(tmp.resolve("p.jsonl"), "{\"prompt\": \"w1 w2\"}\n{\"prompt\": \"w5\"}\n{\"prompt\": \"w6\"}\n");
        CliErrorsTest.Result r = CliErrorsTest.run("seqkd", "--student", student.toString(), "--teacher-responses", responses.toString(),
                "--prompts", p.toString(), "--out", tmp.resolve("s").toString(), "--max-steps", "3", "--max-new-tokens", "8");
        assertThat(r.code()).as(r.err()).isEqualTo(0);
        assertThat(r.err()).contains("1 (prompt, teacher response) pairs").contains("1 prompts without a teacher response")
                .contains("1 empty responses");
        assertThat(metrics(tmp.resolve("s")).get(3).get("ce_loss").asDouble()).isPositive();
    }

    @Test
    void badInputsGetOneLineAndExitCode2() throws Exception {
        Path student = TinyStudent.write(tmp.resolve("student"), 1);
        Path p = prompts("p.jsonl", 2, 1);
        CliErrorsTest.Result none = CliErrorsTest.run("gad", "--student", student.toString(), "--prompts", p.toString(),
                "--out", tmp.resolve("o1").toString());
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("give exactly one teacher").doesNotContain("\tat ");
        Path bad = Files.writeString(tmp.resolve("bad.jsonl"), "{\"prompt\": \"w1\", \"response\": \"w2\"}\nnot json\n");
        CliErrorsTest.Result badFile = CliErrorsTest.run("gad", "--student", student.toString(), "--prompts", p.toString(),
                "--teacher-responses", bad.toString(), "--out", tmp.resolve("o2").toString());
        assertThat(badFile.code()).isEqualTo(2);
        assertThat(badFile.err()).contains("bad.jsonl:2");
        Path unrelated = Files.writeString(tmp.resolve("u.jsonl"), "{\"prompt\": \"zzz\", \"response\": \"w2\"}\n");
        CliErrorsTest.Result nothing = CliErrorsTest.run("gad", "--student", student.toString(), "--prompts", p.toString(),
                "--teacher-responses", unrelated.toString(), "--out", tmp.resolve("o3").toString());
        assertThat(nothing.code()).isEqualTo(2);
        assertThat(nothing.err()).contains("no (prompt, teacher response) pairs");
        CliErrorsTest.Result method = CliErrorsTest.run("gad", "--student", student.toString(), "--prompts", p.toString(),
                "--teacher-responses", unrelated.toString(), "--out", tmp.resolve("o4").toString(), "--method", "ppo");
        assertThat(method.code()).isEqualTo(2);
        assertThat(method.err()).contains("ppo");
        CliErrorsTest.Result onHacking = CliErrorsTest.run("gad", "--student", student.toString(), "--prompts", p.toString(),
                "--teacher-responses", unrelated.toString(), "--out", tmp.resolve("o5").toString(), "--on-hacking", "pause");
        assertThat(onHacking.code()).isEqualTo(2);
        assertThat(onHacking.err()).contains("--on-hacking must be warn or stop");
    }
}
