package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.util.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code distill task}'s records: {prompt, response}, or {prompt} alone with --prompts-only (no null response). */
class TaskCommandTest {
    @TempDir
    Path tmp;

    @Test
    void recordsHaveAResponseUnlessPromptsOnly() {
        Path full = tmp.resolve("full.jsonl");
        Path prompts = tmp.resolve("prompts.jsonl");
        assertThat(Main.run("task", "--n", "3", "--seed", "1", "--out", full.toString())).isZero();
        assertThat(Main.run("task", "--n", "3", "--seed", "1", "--prompts-only", "--out", prompts.toString())).isZero();

        List<Jsonl.Line> a = Jsonl.read(full);
        List<Jsonl.Line> b = Jsonl.read(prompts);
        assertThat(a).hasSize(3).allSatisfy(l -> {
            assertThat(l.value().fieldNames()).toIterable().containsExactly("prompt", "response");
            assertThat(l.value().get("response").isTextual()).isTrue();
        });
        assertThat(b).hasSize(3).allSatisfy(l -> assertThat(l.value().fieldNames()).toIterable().containsExactly("prompt"));
        for (int i = 0; i < 3; i++) {
            assertThat(b.get(i).value().get("prompt")).isEqualTo(a.get(i).value().get("prompt"));
        }
    }
}
