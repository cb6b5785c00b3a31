package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.WordLevelTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kd's input checks: one clear line and exit code 2. */
class KdCommandTest {
    @TempDir
    Path tmp;

    private Path model(String name, List<String> words) throws Exception {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Path src = Fixtures.path("lm/llama_gqa_tied");
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        WordLevelTokenizer.write(dir.resolve(Checkpoint.TOKENIZER), words);
        return dir;
    }

    private CliErrorsTest.Result kd(Path teacher, Path student, String... extra) throws Exception {
        Path prompts = tmp.resolve("p.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"a b\"}\n{\"prompt\": \"c\"}\n");
        List<String> args = new java.util.ArrayList<>(List.of("kd", "--teacher", teacher.toString(), "--student", student.toString(),
                "--prompts", prompts.toString(), "--out", tmp.resolve("out").toString(), "--max-steps", "2", "--batch-size", "2",
                "--max-new-tokens", "4"));
        args.addAll(List.of(extra));
        return CliErrorsTest.run(args.toArray(String[]::new));
    }

    @Test
    void mismatchedTokenizersAreRefusedForAWhiteBoxLoss() throws Exception {
        CliErrorsTest.Result r = kd(model("t", List.of("a", "b", "c")), model("s", List.of("a", "c", "b")));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("tokenizers differ").doesNotContain("\tat ");
    }

    @Test
    void offlineFileWithoutPromptsNamesFileAndLine() throws Exception {
        Path off = tmp.resolve("off.jsonl");
        Files.writeString(off, "{\"prompt\": \"a\", \"response\": \"b\"}\n{\"response\": \"c\"}\n");
        CliErrorsTest.Result r = kd(model("t", List.of("a", "b", "c")), model("s", List.of("a", "b", "c")), "--offline-data", off.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("off.jsonl:2").contains("prompt");
    }

    @Test
    void unknownLossIsNamed() throws Exception {
        CliErrorsTest.Result r = kd(model("t", List.of("a", "b", "c")), model("s", List.of("a", "b", "c")), "--loss", "kl2");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("kl2");
    }

    @Test
    void offlineKdRunsEndToEnd() throws Exception {
        CliErrorsTest.Result r = kd(model("t", List.of("a", "b", "c")), model("s", List.of("a", "b", "c")),
                "--generations", "2", "--loss", "jsd", "--top-k", "4");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(tmp.resolve("out").resolve("offline.jsonl")).exists();
        assertThat(tmp.resolve("out").resolve("model.safetensors")).exists();
    }
}
