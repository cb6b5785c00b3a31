package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.distill4j.lm.WordLevelTokenizer;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code distill experiment teacher-hacking} end to end on tiny checkpoints made here, and its bad-input
 * errors (one line naming the file or field, exit code 2).
 */
class TeacherHackingCommandTest {
    @TempDir
    Path tmp;

    static final List<String> WORDS = List.of("red", "green", "blue", "cat", "dog", "fox", "runs", "sits", "sleeps", "and",
            "the", "a", "big", "small", "old", "new", "tree", "house", "car", "sun");

    /** Runs {@code experiment ARGS} with the CLI's error contract (Main: UserError → one line, exit code 2). */
    static CliErrorsTest.Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ExperimentCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((ex, c, parse) -> {
            Throwable cause = ex;
            while (!(cause instanceof UserError) && cause.getCause() != null && cause != cause.getCause()) {
                cause = cause.getCause();
            }
            if (cause instanceof UserError) {
                c.getErr().println("error: " + cause.getMessage());
                return 2;
            }
            throw ex;
        });
        int code = cli.execute(args);
        return new CliErrorsTest.Result(code, out.toString(), err.toString());
    }

    private static ModelConfig config(int hidden, int layers) {
        return ModelConfig.llama(WORDS.size() + 4, hidden, 2 * hidden, layers, 2, 1, 64, true,
                WordLevelTokenizer.BOS_ID, WordLevelTokenizer.EOS_ID, WordLevelTokenizer.PAD_ID);
    }

    /** A random tiny checkpoint with a word-level tokenizer over {@code words}. */
    private Path checkpoint(String name, int hidden, List<String> words, long seed) throws Exception {
        Path dir = tmp.resolve(name);
        Path tok = tmp.resolve(name + "-tokenizer.json");
        WordLevelTokenizer.write(tok, words);
        try (NDManager m = NDManager.newBaseManager(); Transformer t = Transformer.random(config(hidden, 1), m, seed)) {
            Checkpoint.save(dir, t, Safetensors.DType.F32, Map.of(Checkpoint.TOKENIZER, tok));
        }
        return dir;
    }

    private Path prompts(String name, int n, long seed) throws Exception {
        SplittableRandom rng = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            List<String> w = new ArrayList<>();
            for (int j = 0; j < 2 + rng.nextInt(3); j++) {
                w.add(WORDS.get(rng.nextInt(WORDS.size())));
            }
            sb.append("{\"prompt\": \"").append(String.join(" ", w)).append("\"}\n");
        }
        Path f = tmp.resolve(name);
        Files.writeString(f, sb.toString());
        return f;
    }

    private static final String[] SMALL = {"--seeds", "1", "--max-steps", "6", "--eval-every", "4", "--val-size", "4",
        "--batch-size", "4", "--max-new-tokens", "6", "--budgets", "1,2", "--generations", "2", "--workers", "1"};

    private static String[] args(List<String> head) {
        List<String> a = new ArrayList<>(List.of("teacher-hacking"));
        a.addAll(head);
        a.addAll(List.of(SMALL));
        return a.toArray(String[]::new);
    }

    @Test
    void runsTheLabOnGivenCheckpointsAndWritesTheReport() throws Exception {
        Path oracle = checkpoint("oracle", 24, WORDS, 1);
        Path teacher = checkpoint("teacher", 16, WORDS, 2);
        Path student = checkpoint("student", 8, WORDS, 3);
        Path prompts = prompts("prompts.jsonl", 30, 4);
        Path out = tmp.resolve("run");
        CliErrorsTest.Result r = run(args(List.of("--oracle", oracle.toString(), "--teacher", teacher.toString(), "--student",
                student.toString(), "--prompts", prompts.toString(), "--val-fraction", "0.3", "--out", out.toString())));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("report.html").containsPattern("(?m)^offline +without oracle: \\d/1 hacking, \\d/1 undetermined; "
                + "with oracle: \\d/1 hacking, \\d/1 undetermined; Fig. 4 U: \\d/1$");
        assertThat(out.resolve("report.html")).exists();
        // stage 0 and 1 are skipped: the user's checkpoints are used where they are
        assertThat(out.resolve("oracle")).doesNotExist();
        assertThat(out.resolve("teacher")).doesNotExist();
        assertThat(out.resolve("student-init")).doesNotExist();
        JsonNode summary = Json.read(out.resolve("summary.json"));
        assertThat(summary.fieldNames()).toIterable()
                .containsExactlyInAnyOrder("offline", "online-teacher", "online-student", "low-diversity", "budget-1");
        for (JsonNode seed : summary.path("offline").path("seeds")) {
            for (String k : List.of("verdict_without_oracle", "verdict_with_oracle")) {
                assertThat(seed.path(k).asText()).isIn("hacking", "not flagged", "undetermined: the student is still improving");
            }
        }
        JsonNode meta = Json.read(out.resolve("seed-1").resolve("low-diversity").resolve("variant.json"));
        assertThat(meta.get("generations").asInt()).isEqualTo(5);
        List<String> lines = Files.readAllLines(out.resolve("seed-1").resolve("offline").resolve("metrics.jsonl"));
        JsonNode last = Json.MAPPER.readTree(lines.get(lines.size() - 1));
        assertThat(last.get("step").asInt()).isEqualTo(6);
        assertThat(last.has("golden_fkl")).isTrue();
        assertThat(last.has("proxy_rkl")).isTrue();
        // the held-out prompts are the validation prompts, the rest the distillation prompts
        long val = Files.readAllLines(out.resolve("data").resolve("validation-prompts.jsonl")).size();
        long train = Files.readAllLines(out.resolve("data").resolve("prompts.jsonl")).size();
        assertThat(val + train).isEqualTo(30);
        assertThat(val).isBetween(3L, 18L);
        // a second run resumes: everything is done, nothing is trained again
        CliErrorsTest.Result again = run(args(List.of("--oracle", oracle.toString(), "--teacher", teacher.toString(), "--student",
                student.toString(), "--prompts", prompts.toString(), "--val-fraction", "0.3", "--out", out.toString())));
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(Files.readAllLines(out.resolve("seed-1").resolve("offline").resolve("metrics.jsonl"))).isEqualTo(lines);
        // other variants resume the same directory (a subset is the same runs); a new seed with one variant adds just that run
        List<String> more = new ArrayList<>(List.of(args(List.of("--oracle", oracle.toString(), "--teacher", teacher.toString(),
                "--student", student.toString(), "--prompts", prompts.toString(), "--val-fraction", "0.3", "--out", out.toString(),
                "--variants", "offline"))));
        more.set(more.indexOf("--seeds") + 1, "2");
        CliErrorsTest.Result subset = run(more.toArray(String[]::new));
        assertThat(subset.code()).as(subset.err()).isZero();
        assertThat(out.resolve("seed-2").toFile().list()).containsExactly("offline");
        // a decayed rate is another setting: the directory made at a constant rate is not resumed with it
        List<String> decayed = new ArrayList<>(more);
        decayed.addAll(List.of("--final-lr", "1e-4"));
        assertCleanError(run(decayed.toArray(String[]::new)), "other settings", "config.yaml");
    }

    @Test
    void trainsTeacherAndStudentFromInitConfigsWhenOnlyTheOracleIsGiven() throws Exception {
        Path oracle = checkpoint("oracle", 24, WORDS, 1);
        Path teacherInit = tmp.resolve("teacher-config.json");
        config(16, 1).write(teacherInit);
        Path studentInit = checkpoint("student-start", 8, WORDS, 5); // a checkpoint: SFT starts from its weights
        Path out = tmp.resolve("run");
        CliErrorsTest.Result r = run(args(List.of("--oracle", oracle.toString(), "--teacher-init", teacherInit.toString(),
                "--student-init", studentInit.toString(), "--prompts", prompts("p.jsonl", 20, 6).toString(), "--val-prompts",
                prompts("v.jsonl", 5, 7).toString(), "--sft-steps", "3", "--sft-batch-size", "4", "--out", out.toString())));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(out.resolve("teacher").resolve("model.safetensors")).exists();
        assertThat(out.resolve("student-init").resolve("model.safetensors")).exists();
        assertThat(out.resolve("data").resolve("oracle.jsonl")).exists();
        assertThat(Checkpoint.readConfig(out.resolve("teacher")).hiddenSize()).isEqualTo(16);
        assertThat(out.resolve("summary.json")).exists();
    }

    private static void assertCleanError(CliErrorsTest.Result r, String... fragments) {
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: ");
        for (String f : fragments) {
            assertThat(r.err()).contains(f);
        }
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void badInputsGiveOneClearError() throws Exception {
        Path oracle = checkpoint("oracle", 24, WORDS, 1);
        Path teacher = checkpoint("teacher", 16, WORDS, 2);
        Path student = checkpoint("student", 8, WORDS, 3);
        Path prompts = prompts("prompts.jsonl", 20, 4);
        Path out = tmp.resolve("run");

        Path missing = tmp.resolve("nope.jsonl");
        assertCleanError(run(args(List.of("--oracle", oracle.toString(), "--teacher", teacher.toString(), "--student",
                student.toString(), "--prompts", missing.toString(), "--out", out.toString()))), "nope.jsonl", "--prompts");

        List<String> other = new ArrayList<>(WORDS);
        java.util.Collections.swap(other, 0, 1);
        Path otherTeacher = checkpoint("other-teacher", 16, other, 2);
        assertCleanError(run(args(List.of("--oracle", oracle.toString(), "--teacher", otherTeacher.toString(), "--student",
                student.toString(), "--prompts", prompts.toString(), "--out", out.toString()))),
                "other-teacher/tokenizer.json", "model.vocab", "'red'");

        Path bare = checkpoint("bare-student", 8, WORDS, 3);
        Files.delete(bare.resolve(Checkpoint.TOKENIZER));
        assertCleanError(run(args(List.of("--oracle", oracle.toString(), "--teacher", teacher.toString(), "--student",
                bare.toString(), "--prompts", prompts.toString(), "--out", out.toString()))), "bare-student", "tokenizer.json");

        assertCleanError(run(args(List.of("--oracle", oracle.toString(), "--teacher", teacher.toString(), "--prompts",
                prompts.toString(), "--out", out.toString()))), "--teacher", "--student");

        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"red cat\"}\n{\"text\": \"dog\"}\n");
        assertCleanError(run(args(List.of("--oracle", oracle.toString(), "--teacher", teacher.toString(), "--student",
                student.toString(), "--prompts", bad.toString(), "--out", out.toString()))), "bad.jsonl:2", "prompt");

        assertCleanError(run(args(List.of("--oracle", oracle.toString(), "--teacher", teacher.toString(), "--student",
                student.toString(), "--prompts", prompts.toString(), "--loss", "nope", "--out", out.toString()))), "nope");
        assertCleanError(run(args(List.of("--oracle", oracle.toString(), "--teacher", teacher.toString(), "--student",
                student.toString(), "--prompts", prompts.toString(), "--variants", "offline,online-oracle", "--out", out.toString()))),
                "online-oracle", "--variants");
        assertCleanError(run(args(List.of("--oracle", oracle.toString(), "--teacher", teacher.toString(), "--student",
                student.toString(), "--prompts", prompts.toString(), "--final-lr", "-1e-4", "--out", out.toString()))), "--final-lr");
        // nothing was run
        assertThat(out.resolve("seed-1")).doesNotExist();
    }
}
