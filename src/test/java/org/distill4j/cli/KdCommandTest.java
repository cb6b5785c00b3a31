package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
        return model(name, "lm/llama_gqa_tied", words);
    }

    private Path model(String name, String fixture, List<String> words) throws Exception {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Path src = Fixtures.path(fixture);
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

    @Test
    void cachedTopKTeacherTrainsLikeTheLiveTopKTeacher() throws Exception {
        Path t = model("t", "lm/llama_untied", List.of("a", "b", "c")); // another model than the student: a loss far from 0
        Path st = model("s", List.of("a", "b", "c"));
        Path off = tmp.resolve("off.jsonl");
        Files.writeString(off, "{\"prompt\": \"a\", \"response\": \"b c a\"}\n{\"prompt\": \"b c\", \"response\": \"a\"}\n"
                + "{\"prompt\": \"c\", \"response\": \"c c b a\"}\n");
        Path prompts = tmp.resolve("p.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"a\"}\n");
        List<List<org.distill4j.util.Jsonl.Line>> metrics = new java.util.ArrayList<>();
        for (boolean cached : new boolean[] {false, true}) {
            Path out = tmp.resolve(cached ? "cached" : "live");
            List<String> args = new java.util.ArrayList<>(List.of("kd", "--teacher", t.toString(), "--student", st.toString(),
                    "--prompts", prompts.toString(), "--offline-data", off.toString(), "--out", out.toString(), "--max-steps", "4",
                    "--batch-size", "2", "--top-k", "5", "--log-every", "1"));
            if (cached) {
                args.add("--cache-teacher");
            }
            CliErrorsTest.Result r = CliErrorsTest.run(args.toArray(String[]::new));
            assertThat(r.code()).as(r.err()).isZero();
            metrics.add(org.distill4j.util.Jsonl.read(out.resolve("metrics.jsonl")));
        }
        assertThat(tmp.resolve("cached").resolve("teacher-topk.safetensors")).exists();
        assertThat(metrics.get(1)).hasSameSizeAs(metrics.get(0));
        // Equal in exact arithmetic, not bit for bit: the cache holds the teacher run over the offline set in batches of its
        // own (other shapes, so other kernel blockings), and the cached run's student has both engine threads while the live
        // run's leaves one to the teacher's thread. float32 rounding of a few ops (~1e-7 relative each) then differs.
        for (int i = 0; i < metrics.get(0).size(); i++) {
            double live = metrics.get(0).get(i).value().get("train_loss").asDouble();
            assertThat(live).as("a loss far from rounding noise").isGreaterThan(1e-3);
            assertThat(metrics.get(1).get(i).value().get("train_loss").asDouble()).isCloseTo(live, within(1e-4 * Math.abs(live)));
        }
    }
}
