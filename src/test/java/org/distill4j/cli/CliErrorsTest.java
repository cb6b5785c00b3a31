package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gives one clear line naming the file (and line), exit code 2, and no stack trace. */
class CliErrorsTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    private Path checkpoint(Map<String, String> configEdits, boolean bigTokenizer) throws Exception {
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        Path src = Fixtures.path("lm/llama_gqa_tied");
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String cfg = Files.readString(src.resolve("config.json"));
        for (var e : configEdits.entrySet()) {
            cfg = cfg.replace(e.getKey(), e.getValue());
        }
        Files.writeString(dir.resolve("config.json"), cfg);
        if (bigTokenizer) {
            Files.copy(Fixtures.path("lm/tokenizer/tokenizer.json"), dir.resolve(Checkpoint.TOKENIZER));
        } else {
            org.distill4j.lm.WordLevelTokenizer.write(dir.resolve(Checkpoint.TOKENIZER), java.util.List.of("a", "b", "c"));
        }
        return dir;
    }

    private static void assertCleanError(Result r, String... fragments) {
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: ");
        for (String f : fragments) {
            assertThat(r.err()).contains(f);
        }
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void missingConfigField() throws Exception {
        Path dir = checkpoint(Map.of("\"hidden_size\": 32,", ""), false);
        assertCleanError(run("score", "--model", dir.toString(), "--text", "a b"), "config.json", "hidden_size");
    }

    @Test
    void unknownModelType() throws Exception {
        Path dir = checkpoint(Map.of("\"model_type\": \"llama\"", "\"model_type\": \"bert\""), false);
        assertCleanError(run("generate", "--model", dir.toString(), "--prompt", "a"), "config.json", "bert");
    }

    @Test
    void tokenizerLargerThanModel() throws Exception {
        Path dir = checkpoint(Map.of(), true);
        assertCleanError(run("score", "--model", dir.toString(), "--text", "a b"), "tokenizer.json", "vocab_size");
    }

    @Test
    void malformedJsonlLine() throws Exception {
        Path dir = checkpoint(Map.of(), false);
        Path data = tmp.resolve("prompts.jsonl");
        Files.writeString(data, "{\"prompt\": \"a b\"}\n{\"prompt\": \"a\"\n");
        assertCleanError(run("generate", "--model", dir.toString(), "--prompts", data.toString(), "--out",
                tmp.resolve("o.jsonl").toString()), "prompts.jsonl:2");
        assertThat(tmp.resolve("o.jsonl")).doesNotExist();
    }

    @Test
    void benchRoundsMustBePositive() {
        assertCleanError(run("bench", "kd", "--rounds", "0"), "--rounds", ">= 1");
    }

    @Test
    void verboseShowsTheStackTrace() throws Exception {
        Path dir = checkpoint(Map.of("\"hidden_size\": 32,", ""), false);
        Result r = run("score", "--verbose", "--model", dir.toString(), "--text", "a b");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("\tat ");
    }

    @Test
    void generateAndScoreWorkEndToEnd() throws Exception {
        Path dir = checkpoint(Map.of(), false);
        Path prompts = tmp.resolve("p.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"a b\", \"id\": 7}\n{\"prompt\": \"c\"}\n");
        Path out = tmp.resolve("out.jsonl");
        Result g = run("generate", "--model", dir.toString(), "--prompts", prompts.toString(), "--out", out.toString(),
                "--n", "3", "--max-new-tokens", "5", "--seed", "1");
        assertThat(g.code()).as(g.err()).isZero();
        var lines = org.distill4j.util.Jsonl.read(out);
        assertThat(lines).hasSize(6);
        assertThat(lines.get(0).value().get("id").asInt()).isEqualTo(7);
        assertThat(lines.get(0).value().has("response")).isTrue();
        Result s = run("score", "--model", dir.toString(), "--text", "a b c a");
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(s.out()).containsPattern("nll_per_token=\\d+\\.\\d+ tokens=4");
    }
}
