package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A renamed flag fails with one line naming its new name, on the command line and as a --config key. */
class RenamedFlagsTest {
    @TempDir
    Path tmp;

    @Test
    void anOldFlagNamesItsNewName() {
        CliErrorsTest.Result r = CliErrorsTest.run("gad", "--student", "s", "--prompts", "p.jsonl", "--out", "o", "--steps", "3");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: --steps was renamed: use --max-steps (all steps, the warmup's included: old --steps "
                + "plus --gad-warmup-steps)");
        CliErrorsTest.Result sft = CliErrorsTest.run("sft", "--data", "d.jsonl", "--out", "o", "--model", "m", "--warmup-steps=5");
        assertThat(sft.code()).isEqualTo(2);
        assertThat(sft.err()).contains("--warmup-steps was renamed: use --lr-warmup-steps");
    }

    @Test
    void anOldConfigKeyNamesItsNewName() throws Exception {
        Path config = Files.writeString(tmp.resolve("c.yaml"), "warmup-steps: 5\n");
        CliErrorsTest.Result r = CliErrorsTest.run("kd", "--teacher", "t", "--student", "s", "--prompts", "p", "--out", "o", "--config",
                config.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("c.yaml: --warmup-steps was renamed: use --lr-warmup-steps").doesNotContain("\tat ");
    }

    @Test
    void flagsThatAreNotRenamedStillGetPicocliMessage() {
        CliErrorsTest.Result r = CliErrorsTest.run("sft", "--data", "d.jsonl", "--out", "o", "--model", "m", "--no-such-flag");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown option: '--no-such-flag'");
    }
}
